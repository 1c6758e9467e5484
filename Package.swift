// swift-tools-version:6.0
//
// Vigil: end-to-end encrypted check-ins and panic alerts for human rights defenders.
//
// Layers, bottom up:
//   CSodium        system libsodium (only VigilCrypto imports it)
//   VigilCrypto    typed, memory-safe wrapper over the libsodium primitives Vigil uses
//   VigilProtocol  identities, contact cards, fingerprints, envelopes, bodies: pure values
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    products: [
        .library(name: "VigilCrypto", targets: ["VigilCrypto"]),
        .library(name: "VigilProtocol", targets: ["VigilProtocol"]),
        .executable(name: "vigil-demo", targets: ["VigilDemo"]),
        .executable(name: "vigil-vectors", targets: ["VigilVectors"]),
        .executable(name: "vigil-bench", targets: ["VigilBench"]),
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
    ]
)
