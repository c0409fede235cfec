// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "sealgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sealgate", targets: ["sealgate"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // libsodium through pkg-config (apt: libsodium-dev), plus the few Linux calls Swift cannot make directly.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        // The only module that can decrypt: keys, sealing, the SQLite store, tokens and the audit chain.
        .target(
            name: "Vault",
            dependencies: [
                "CSodium",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // The `sealgate` executable: thin commands, the composition root.
        .executableTarget(
            name: "sealgate",
            dependencies: [
                "Vault",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/SealgateCLI"
        ),

        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
        // End to end: runs the built `sealgate` binary (the dependency makes `swift test` build it).
        .testTarget(
            name: "CLITests",
            dependencies: ["sealgate", "Vault", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
