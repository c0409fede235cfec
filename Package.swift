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
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        // The dashboard's HTTP server (routing, cookies, middleware) and its in-process tests; no default traits.
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        // Tests only: the official Swift SDK as a client of the gateway.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
    ],
    targets: [
        // libsodium through pkg-config (apt: libsodium-dev), plus the few Linux calls Swift cannot make directly.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        // Linux calls Swift's Glibc module does not declare (it is built without _GNU_SOURCE).
        .target(name: "CLinuxCalls"),

        // Usage counts and latency histograms: plain values shared by the gateway, the protocol, the vault and the CLI.
        .target(name: "Analytics"),

        // The only module that can decrypt: keys, sealing, the SQLite store, tokens and the audit chain.
        .target(
            name: "Vault",
            dependencies: [
                "CSodium", "Analytics",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // JSON-RPC 2.0 and MCP message values that keep key order and number lexemes: no I/O.
        .target(name: "MCPWire"),

        // What a token may reach (FeatureSet globs, deny wins) and how tools are named (`server__tool`): pure rules.
        .target(name: "Policy"),

        // Who is at the other end of the broker socket, and whether its path is one no other user can take over: the
        // broker and every client of it check both.
        .target(name: "SocketTrust"),

        // Ready-to-paste configurations of the MCP clients people use (Claude Code, VS Code, Cursor): for the CLI and
        // the dashboard.
        .target(name: "ClientSetup"),

        // Which `Host` names a listener on this machine answers (the DNS-rebinding defence): the gateway's and the
        // dashboard's.
        .target(name: "HostTrust"),

        // NIO helpers the broker and the gateway share: one flush per event-loop turn, the open connections, large
        // messages handled off the event loops in an order that keeps each channel's.
        .target(
            name: "ChannelSupport",
            dependencies: [
                "SocketTrust", "BrokerProtocol", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),

        // The gateway<->broker messages and their framing: values only, nothing secret.
        .target(name: "BrokerProtocol", dependencies: ["MCPWire", "Analytics"]),

        // OAuth 2.1 for upstream servers, as the MCP authorization spec has a client do it: discovery, PKCE, dynamic
        // registration, the token endpoint. For the broker (refresh) and the CLI (login); never the gateway.
        .target(
            name: "OAuth",
            dependencies: [
                "Vault", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),

        // A small blocking client of the broker socket, for the CLI (`leases`) and tests.
        .target(name: "BrokerClient", dependencies: ["BrokerProtocol", "MCPWire", "SocketTrust"]),

        // Holds the key: leases, upstream processes, injection, masking; serves the broker socket.
        .target(
            name: "Broker",
            dependencies: [
                "Vault", "MCPWire", "BrokerProtocol", "BrokerClient", "CLinuxCalls", "Analytics", "ChannelSupport",
                "SocketTrust", "OAuth",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // The HTTP front: tokens, sessions, namespacing, FeatureSets; reaches upstreams only through the broker socket.
        .target(
            name: "Gateway",
            dependencies: [
                "MCPWire", "Policy", "BrokerProtocol", "Analytics", "ChannelSupport", "SocketTrust", "HostTrust",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),

        // The web dashboard: server-rendered pages over the vault, in a process that may hold the key (`serve`),
        // never the gateway's. Behind a one-time link, a session cookie and CSRF tokens; renders no secret value.
        .target(
            name: "Dashboard",
            dependencies: [
                "Vault", "Analytics", "Policy", "BrokerProtocol", "HostTrust", "ClientSetup", "SocketTrust",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // An MCP server for tests only: echo, env hashes and leaks, sleep, crash, list_changed; both eras.
        .executableTarget(
            name: "sealgate-test-upstream",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/TestUpstream"
        ),

        // The benchmarks' fast stdio MCP server: one echo tool, blocking reads, one write per chunk of requests.
        .executableTarget(name: "sealgate-echo-upstream", dependencies: ["MCPWire"], path: "Sources/EchoUpstream"),

        // Benchmarks that print numbers (scripts/bench); not tests.
        .executableTarget(
            name: "sealgate-bench", dependencies: ["BrokerClient", "BrokerProtocol", "MCPWire", "Vault"],
            path: "Sources/Bench"
        ),

        // The `sealgate` executable: thin commands, the composition root.
        .executableTarget(
            name: "sealgate",
            dependencies: [
                "Vault", "Broker", "BrokerProtocol", "BrokerClient", "MCPWire", "Gateway", "Analytics", "OAuth",
                "Dashboard", "ClientSetup", "SocketTrust",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/SealgateCLI"
        ),

        // Tests only: waiting for child processes with a deadline (the broker, gateway and CLI tests run many), and the
        // Unix listener of the stand-in brokers.
        .target(name: "TestSupport", path: "Tests/TestSupport"),

        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "Analytics", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "MCPWireTests", dependencies: ["MCPWire"]),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "Vault", "Analytics", "BrokerProtocol", "SocketTrust",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy"]),
        .testTarget(
            name: "OAuthTests",
            dependencies: ["OAuth", "Vault", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .testTarget(name: "BrokerProtocolTests", dependencies: ["BrokerProtocol", "MCPWire", "Analytics"]),
        .testTarget(name: "AnalyticsTests", dependencies: ["Analytics"]),
        .testTarget(
            name: "ChannelSupportTests",
            dependencies: [
                "ChannelSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "BrokerProtocol", "BrokerClient", "MCPWire", "Vault", "sealgate", "sealgate-test-upstream",
                "TestSupport", "SocketTrust",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The gateway end to end: `serve` and real clients (raw HTTP, the official Python SDKs and the Swift SDK).
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "sealgate", "sealgate-test-upstream", "sealgate-echo-upstream", "MCPWire", "Gateway", "Analytics",
                "BrokerProtocol", "TestSupport", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: []
        ),
        // End to end: runs the built `sealgate` binary (the dependency makes `swift test` build it).
        .testTarget(
            name: "CLITests",
            dependencies: [
                "sealgate", "sealgate-test-upstream", "Vault", "BrokerClient", "BrokerProtocol", "MCPWire",
                "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)

// Fuzzing (scripts/fuzz TARGET SECONDS): libFuzzer targets, built into .build-fuzz with
// `-sanitize=fuzzer,address -DFUZZING`. Built plainly (as by `swift build`), each runs its test once on every file
// named on its command line. Each depends only on the module it fuzzes, so a fuzz build stays small.
package.targets += [
    // libFuzzer's driver and LLVMFuzzerTestOneInput, shared by every target below.
    .target(name: "FuzzDriver", path: "Sources/Fuzz/Driver"),
    // The JSON parser and serialiser, JSONObject, JSON-RPC messages.
    .executableTarget(name: "fuzz-json", dependencies: ["FuzzDriver", "MCPWire"], path: "Sources/Fuzz/JSON"),
    // The broker socket's frame decoder and BrokerMessage decoding.
    .executableTarget(
        name: "fuzz-frames", dependencies: ["FuzzDriver", "BrokerProtocol", "MCPWire"], path: "Sources/Fuzz/Frames"),
    // The gateway's HTTP pipeline: NIO's request decoder and the exchange handler, in an EmbeddedChannel.
    .executableTarget(
        name: "fuzz-http",
        dependencies: [
            "FuzzDriver", "Gateway", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ],
        path: "Sources/Fuzz/HTTP"
    ),
    // The broker's SSE parser: Sources/Fuzz/SSE/SSEParser.swift links to the broker's file, so the target needs no
    // other part of the broker (and its vault, SQLite and HTTP client).
    .executableTarget(name: "fuzz-sse", dependencies: ["FuzzDriver"], path: "Sources/Fuzz/SSE"),
]
