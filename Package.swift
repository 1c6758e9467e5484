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
//   VigilApp       the client application: keystore, encrypted state, contacts, outbox, inbox, watch
//   VigilCLI       `vigil`: parses arguments, prints what VigilApp reports
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    products: [
        .executable(name: "vigil-relay", targets: ["VigilRelayServer"]),
        .executable(name: "vigil", targets: ["VigilCLI"]),
        .library(name: "VigilApp", targets: ["VigilApp"]),
        .library(name: "VigilCrypto", targets: ["VigilCrypto"]),
        .library(name: "VigilProtocol", targets: ["VigilProtocol"]),
        // For the fuzzing package in Fuzz/, which depends on this one by path.
        .library(name: "VigilRelayAPI", targets: ["VigilRelayAPI"]),
        .library(name: "VigilRelay", targets: ["VigilRelay"]),
        .library(name: "VigilClient", targets: ["VigilClient"]),
        .executable(name: "vigil-demo", targets: ["VigilDemo"]),
        .executable(name: "vigil-vectors", targets: ["VigilVectors"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
        .executable(name: "vigil-relay-bench", targets: ["VigilRelayBench"]),
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
        // Child processes without Foundation's `Process` (see CVigilSpawn.h).
        .target(name: "CVigilSpawn"),
        .target(
            name: "VigilProcess",
            dependencies: ["CVigilSpawn"],
            swiftSettings: strictSwift
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
                // Only for RequestParsingProbe, the fuzzers' entry point into request parsing.
                .product(name: "NIOEmbedded", package: "swift-nio"),
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
        .target(
            name: "VigilApp",
            dependencies: ["VigilClient", "VigilRelayAPI", "VigilProtocol", "VigilCrypto", "VigilProcess"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "VigilCLI",
            dependencies: [
                "VigilApp", "VigilClient", "VigilProtocol", "VigilCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
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
        // The relay load generator (Tools/relay-bench.sh): closed-loop HTTP/1.1 on SwiftNIO.
        .executableTarget(
            name: "VigilRelayBench",
            dependencies: [
                "VigilRelayAPI", "VigilCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilCryptoTests",
            dependencies: ["VigilCrypto"],
            exclude: ["Wycheproof"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilProtocolTests",
            dependencies: ["VigilProtocol", "VigilCrypto"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "VigilProcessTests",
            dependencies: ["VigilProcess"],
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
                "VigilRelay", "VigilClient", "VigilRelayAPI", "VigilStorage", "VigilCrypto", "VigilProcess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        // The client library's unit tests, and a few tests that run the built `vigil` against a
        // real `vigil-relay` process (both binaries sit next to the test bundle).
        .testTarget(
            name: "VigilAppTests",
            dependencies: ["VigilApp", "VigilClient", "VigilRelayAPI", "VigilProtocol", "VigilCrypto", "VigilProcess"],
            swiftSettings: strictSwift
        ),
    ]
)
