// swift-tools-version:6.0
//
// Vigil: end-to-end encrypted check-ins and panic alerts for human rights defenders.
//
// Layers, bottom up:
//   CSodium        system libsodium (only VigilCrypto imports it)
//   VigilCrypto    typed, memory-safe wrapper over the libsodium primitives Vigil uses
//   VigilProtocol  identities, contact cards, fingerprints, envelopes, bodies: pure values
//   CSQLite        system SQLite (only VigilStorage imports it)
//   VigilStorage   the relay's durable store: a protocol, and its SQLite implementation
//   VigilRelayAPI  the relay's wire API: request signing, JSON shapes, error codes (pure)
//   VigilRelay     the relay server on SwiftNIO; `vigil-relay` only parses options and starts it
//   VigilClient    what clients share: the relay client (URLSession)
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    products: [
        .executable(name: "vigil-relay", targets: ["VigilRelayServer"]),
        .library(name: "VigilCrypto", targets: ["VigilCrypto"]),
        .library(name: "VigilProtocol", targets: ["VigilProtocol"]),
        .executable(name: "vigil-demo", targets: ["VigilDemo"]),
        .executable(name: "vigil-vectors", targets: ["VigilVectors"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(
            name: "VigilCrypto",
            dependencies: ["CSodium"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "VigilProtocol",
            dependencies: ["VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(
            name: "VigilStorage",
            dependencies: ["CSQLite", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "VigilRelayAPI",
            dependencies: ["VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .target(
            name: "VigilRelay",
            dependencies: [
                "VigilStorage", "VigilRelayAPI", "VigilCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "VigilRelayServer",
            dependencies: [
                "VigilRelay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        .target(
            name: "VigilClient",
            dependencies: ["VigilRelayAPI", "VigilProtocol", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "VigilDemo",
            dependencies: ["VigilProtocol", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "VigilVectors",
            dependencies: ["VigilProtocol", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        // The benchmark's C baseline: the same libsodium composition as the envelope, in C.
        .target(
            name: "CVigilBaseline",
            linkerSettings: [.linkedLibrary("sodium")]
        ),
        .executableTarget(
            name: "VigilBench",
            dependencies: ["VigilProtocol", "VigilCrypto", "CVigilBaseline"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilCryptoTests",
            dependencies: ["VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilProtocolTests",
            dependencies: ["VigilProtocol", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilStorageTests",
            dependencies: ["VigilStorage"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilRelayTests",
            dependencies: [
                "VigilRelay", "VigilClient", "VigilRelayAPI", "VigilStorage", "VigilCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
