import Foundation
import MCPWire
import TestSupport
import Testing

/// The broker and the gateway as separate processes (what `serve` runs in one and a child): when the broker dies
/// and comes back, the gateway reconnects by itself and its clients go on without reconnecting.
@Suite struct BrokerRestartTests {
    @Test func clientsRecoverWhenTheBrokerIsKilledAndStartedAgain() throws {
        let (harness, token) = try ServingTests.prepared()
        let socket = harness.home + "/broker.sock"
        var broker = try harness.spawn(["broker", "--socket", socket, "--log-level", "warning"])
        defer { _ = try? broker.stop() }
        try eventually(within: 30) { FileManager.default.fileExists(atPath: socket) }
        let gateway = try harness.spawn(
            ["gateway", "--broker-socket", socket, "--listen", "127.0.0.1:0", "--log-level", "warning"])
        defer { _ = try? gateway.stop() }
        let port = try Self.listeningPort(of: gateway)
        let path = harness.path()
        // Listening comes before the broker's first snapshot: ready is when /healthz says so.
        try eventually(within: 30) { (try? HTTP.request(port: port, "GET", "/healthz", timeout: 2))?.status == 200 }

        func modernEcho(_ text: String) throws -> String? {
            try HTTP.modern(
                port: port, path, token: token, method: "tools/call",
                params: #""name":"up__echo","arguments":{"text":"\#(text)"}"#, name: "up__echo", timeout: 5
            ).json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
        }
        // A 2025-era session, initialized once and used across the restart.
        let initialize = try HTTP.post(
            port: port, path, token: token,
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        let session = try #require(initialize.header("Mcp-Session-Id"))
        let sessionHeaders = [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
        _ = try HTTP.post(
            port: port, path, token: token, #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            headers: sessionHeaders)
        func legacyEcho(_ text: String, id: Int) throws -> String? {
            try HTTP.post(
                port: port, path, token: token,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"up__echo","arguments":{"text":"\#(text)"}}}"#,
                headers: sessionHeaders, timeout: 5
            ).json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
        }
        #expect(try modernEcho("before") == "before")
        #expect(try legacyEcho("before", id: 2) == "before")

        try broker.stop(signal: SIGKILL)
        // While the broker is away the gateway stays up and says so.
        try eventually(within: 5) { (try? HTTP.request(port: port, "GET", "/healthz", timeout: 2))?.status == 503 }
        #expect(try HTTP.modern(port: port, path, token: token, method: "tools/list", timeout: 5).status == 503)

        broker = try harness.spawn(["broker", "--socket", socket, "--log-level", "warning"])
        try eventually(within: 30) { (try? HTTP.request(port: port, "GET", "/healthz", timeout: 2))?.status == 200 }
        try eventually(within: 10) { (try? modernEcho("after")) == "after" }
        var id = 3
        try eventually(within: 10) {
            id += 1
            return (try? legacyEcho("after", id: id)) == "after"
        }
        #expect(gateway.isRunning)
    }

    /// Reads the gateway's `LISTENING PORT` line.
    static func listeningPort(of process: Process) throws -> Int {
        guard let output = process.standardOutput as? Pipe else { throw HarnessError("no stdout pipe") }
        var line: [UInt8] = []
        let handle = output.fileHandleForReading
        while line.last != 0x0A {
            let byte = handle.readData(ofLength: 1)
            guard let first = byte.first else { throw HarnessError("the gateway exited before listening") }
            line.append(first)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let match = text.firstMatch(of: /LISTENING (\d+)/), let port = Int(match.1) else {
            throw HarnessError("unexpected first line: \(text)")
        }
        return port
    }
}

extension ServeHarness {
    /// Starts `sealgate ARGS` in the background with stdout on a pipe and stderr discarded.
    func spawn(_ args: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        process.environment = environment
        process.standardOutput = Pipe()
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
