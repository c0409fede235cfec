import Foundation
import MCP
import SystemPackage
import TestSupport
import Testing

/// The official MCP Swift SDK (0.12.1) as a client of the gateway, over both transports its Linux build has:
/// Streamable HTTP (on Linux it reads JSON answers only and never opens the GET stream, so it cannot hear
/// notifications there) and stdio, through `sealgate connect`, where it can.
@Suite struct SwiftSDKInteropTests {
    @Test func theSwiftSDKOverHTTPListsAndCallsWithTheSecretInjectedAndMasked() async throws {
        let (harness, token) = try ServingTests.served()
        defer { harness.stop() }
        let transport = HTTPClientTransport(
            endpoint: try #require(URL(string: harness.url())), streaming: false,
            requestModifier: { request in
                var request = request
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                return request
            })
        let client = Client(name: "sealgate-swift-sdk-test", version: "1")
        let initialized = try await client.connect(transport: transport)
        #expect(initialized.protocolVersion == "2025-11-25")
        #expect(await transport.sessionID != nil)
        try await Self.useWorkspace(client)
        await client.disconnect()
    }

    @Test func theSwiftSDKOverStdioThroughConnectAlsoHearsListChanged() async throws {
        let (harness, token) = try ServingTests.served()
        defer { harness.stop() }
        try harness.addTestUpstream("more", withSecret: false)
        let bridge = try ConnectProcess(harness: harness, token: token)
        defer { bridge.stop() }

        let client = Client(name: "sealgate-swift-sdk-test", version: "1")
        let (changes, heard) = AsyncStream.makeStream(of: Void.self)
        await client.onNotification(ToolListChangedNotification.self) { _ in heard.yield() }
        let initialized = try await client.connect(
            transport: StdioTransport(input: bridge.fromBridge, output: bridge.toBridge))
        #expect(initialized.protocolVersion == "2025-11-25")
        try await Self.useWorkspace(client)

        // The 1 s promise is timed by HotReloadTests and InteropTests. Here the SDK's client runs in this process,
        // whose task pool other tests can starve under --parallel, so only the arrival is required (within 5 s).
        try harness.ok(["mcp", "install", "more", "--workspace", "eng"])
        let arrived = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in changes { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(arrived, "no tools/list_changed within 5 s of the install")
        let names = try await client.listTools().tools.map(\.name)
        #expect(names.contains("more__echo"), "\(names)")
        await client.disconnect()
    }

    /// What every transport must do: list namespaced tools, call one that hashes the injected secret, one that
    /// leaks it (masked), and one that does not exist (a JSON-RPC error the SDK surfaces as a thrown error).
    static func useWorkspace(_ client: Client) async throws {
        let names = try await client.listTools().tools.map(\.name)
        #expect(names.contains("up__echo") && names.contains("up__env_hash"), "\(names)")

        let hashed: (content: [Tool.Content], isError: Bool?) = try await client.callTool(
            name: "up__env_hash", arguments: ["name": "API_KEY"])
        #expect(text(hashed.content) == sha256Hex(ServingTests.secret))
        #expect(hashed.isError != true)

        let leaked: (content: [Tool.Content], isError: Bool?) = try await client.callTool(
            name: "up__leak_env", arguments: ["name": "API_KEY"])
        #expect(text(leaked.content) == "[REDACTED:API_KEY]")

        let echoed: (content: [Tool.Content], isError: Bool?) = try await client.callTool(
            name: "up__echo", arguments: ["text": "from swift"])
        #expect(text(echoed.content)?.contains("from swift") == true, "\(echoed.content)")

        await #expect(throws: MCPError.self) {
            let _: (content: [Tool.Content], isError: Bool?) = try await client.callTool(
                name: "up__nosuch", arguments: [:])
        }
        try await client.ping()
    }

    static func text(_ content: [Tool.Content]) -> String? {
        for item in content { if case .text(let text, _, _) = item { return text } }
        return nil
    }
}

/// `sealgate connect eng` as a child whose stdin and stdout are pipes handed to the SDK's stdio transport.
private final class ConnectProcess: @unchecked Sendable {
    // `@unchecked`: every field is set once in `init`.
    let process = Process()
    let fromBridge: FileDescriptor
    let toBridge: FileDescriptor
    private let pipes = (input: Pipe(), output: Pipe())

    init(harness: ServeHarness, token: String) throws {
        process.executableURL = URL(fileURLWithPath: ServeHarness.binary)
        process.arguments = ["connect", "eng", "--url", harness.url()]
        process.environment = harness.environment.merging(["SEALGATE_TOKEN": token]) { $1 }
        process.standardInput = pipes.input
        process.standardOutput = pipes.output
        process.standardError = FileHandle.nullDevice
        try process.run()
        fromBridge = FileDescriptor(rawValue: pipes.output.fileHandleForReading.fileDescriptor)
        toBridge = FileDescriptor(rawValue: pipes.input.fileHandleForWriting.fileDescriptor)
    }

    func stop() {
        _ = try? process.stop()
    }
}
