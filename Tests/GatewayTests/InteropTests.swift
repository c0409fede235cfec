import Foundation
import MCPWire
import Testing

/// Real clients and a real server nobody here wrote: the official MCP Python SDK (mcp 2.3.0 speaking 2026-07-28
/// or the 2025 handshake, mcp 1.30.0 speaking 2025-11-25 over Streamable HTTP and HTTP+SSE), and
/// `mcp-server-time` from PyPI as an upstream beside the package's test upstream.
@Suite struct InteropTests {
    /// (venv, transport, mode, the era the client should end up in)
    static let clients: [(String, String, String, String)] = [
        ("v2", "streamable", "auto", "2026-07-28"),
        ("v2", "streamable", "legacy", "2025-11-25"),
        ("v1", "streamable", "legacy", "2025-11-25"),
        ("v1", "sse", "legacy", "2025-11-25"),
    ]

    /// Starts client configuration `index` against `eng` of `harness` (its `/sse` endpoint for HTTP+SSE).
    static func client(
        _ index: Int, _ harness: ServeHarness, token: String, steps: [JSONValue], options: [String] = []
    ) throws -> PythonClient {
        let (venv, transport, mode, _) = clients[index]
        return try PythonClient(
            venv: venv, url: harness.url("eng", transport == "sse" ? "sse" : "mcp"), token: token,
            transport: transport, mode: mode, steps: steps, options: options)
    }

    static func served() throws -> (ServeHarness, String) {
        let (harness, token) = try ServingTests.prepared()
        let timeServer = (try PythonClient.python("v2") as NSString).deletingLastPathComponent + "/mcp-server-time"
        try harness.ok(["server", "add", "time", "--command", timeServer, "--arg=--local-timezone=UTC"])
        try harness.ok(["mcp", "install", "time", "--workspace", "eng"])
        try harness.start()
        return (harness, token)
    }

    @Test(arguments: clients.indices)
    func anOfficialClientListsAndCallsToolsOfBothUpstreams(_ index: Int) throws {
        let era = Self.clients[index].3
        let (harness, token) = try Self.served()
        let steps: [JSONValue] = [
            .object(["op": "info"]),
            .object(["op": "list_tools"]),
            .object(["op": "call_tool", "name": "up__env_hash", "arguments": .object(["name": "API_KEY"])]),
            .object(["op": "call_tool", "name": "up__leak_env", "arguments": .object(["name": "API_KEY"])]),
            .object(["op": "call_tool", "name": "time__get_current_time", "arguments": .object(["timezone": "UTC"])]),
            .object(["op": "call_tool", "name": "up__nosuch", "arguments": .object([:])]),
        ]
        let client = try Self.client(index, harness, token: token, steps: steps)
        let info = try client.next()
        #expect(info["protocolVersion"]?.stringValue == era, "\(info.serializedString)")
        let names = try client.next()["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("up__echo") && names.contains("time__get_current_time"), "\(names)")
        #expect(try client.next()["text"]?.stringValue == sha256Hex(ServingTests.secret))
        #expect(try client.next()["text"] == "[REDACTED:API_KEY]")
        let time = try client.next()
        #expect(
            time["isError"] == false && time["text"]?.stringValue?.contains("UTC") == true, "\(time.serializedString)")
        #expect(try client.next()["error"]?["code"] == -32602)
        #expect(client.finish() == 0)
    }

    @Test(arguments: clients.indices)
    func anOfficialClientHearsAnInstallWithinASecond(_ index: Int) throws {
        let (harness, token) = try Self.served()
        try harness.addTestUpstream("more", withSecret: false)
        let client = try Self.client(
            index, harness, token: token,
            steps: [
                .object(["op": "list_tools"]), .object(["op": "arm_list_changed", "kind": "tools"]),
                .object(["op": "pause_for_stdin"]),
                .object(["op": "wait_list_changed", "kind": "tools", "timeout": 5]),
                .object(["op": "list_tools"]),
            ])
        _ = try client.next()
        #expect(try client.next()["op"] == "armed")
        #expect(try client.next()["op"] == "paused")
        try harness.ok(["mcp", "install", "more", "--workspace", "eng"])
        client.resume()
        let heard = try client.next()
        #expect(heard["received"] == true, "\(heard.serializedString)")
        #expect((heard["elapsedMs"]?.intValue ?? 10_000) < 1000, "\(heard.serializedString)")
        let names = try client.next()["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("more__echo"))
        #expect(client.finish() == 0)
    }

    /// 2025-era official clients hear their upstream's log messages, masked, at or above the level they set.
    @Test(arguments: clients.indices.filter { clients[$0].3 != "2026-07-28" })
    func anOfficialLegacyClientHearsLogMessagesAtItsLevel(_ index: Int) throws {
        let (harness, token) = try Self.served()
        let client = try Self.client(
            index, harness, token: token,
            steps: [
                .object(["op": "info"]),
                .object(["op": "set_logging_level", "level": "warning"]),
                .object([
                    "op": "call_tool", "name": "up__log", "arguments": .object(["level": "info", "name": "BELOW"]),
                ]),
                .object([
                    "op": "call_tool", "name": "up__log", "arguments": .object(["level": "error", "name": "API_KEY"]),
                ]),
                .object(["op": "wait_log", "contains": "API_KEY", "timeout": 5]),
            ])
        let info = try client.next()
        #expect(info["capabilities"]?["logging"] != nil, "\(info.serializedString)")
        #expect(try client.next()["ok"] == true)
        #expect(try client.next()["text"] == "logged")
        #expect(try client.next()["text"] == "logged")
        let heard = try client.next()
        #expect(heard["received"] == true, "\(heard.serializedString)")
        #expect(heard["log"]?["level"] == "error" && heard["log"]?["logger"] == "up/tools", "\(heard.serializedString)")
        #expect(heard["log"]?["data"] == "value of API_KEY: [REDACTED:API_KEY]", "\(heard.serializedString)")
        #expect(heard["seen"]?.arrayValue?.count == 1, "the info message was filtered: \(heard.serializedString)")
        #expect(client.finish() == 0)
    }

    /// An upstream built with the official SDK asks the 2025-era official client through Sealgate: an elicitation,
    /// a sampled message and the client's roots reach the client that declared them, and its answers come back.
    @Test(arguments: clients.indices.filter { clients[$0].3 != "2026-07-28" })
    func anUpstreamsRequestsReachTheOfficialClientAndItsAnswersComeBack(_ index: Int) throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        let script = ServeHarness.repositoryRoot.appendingPathComponent("Tests/Interop/asking_upstream.py").path
        try harness.ok(["server", "add", "asker", "--command", try PythonClient.python("v1"), "--arg", script])
        try harness.ok(["mcp", "install", "asker", "--workspace", "eng"])
        try harness.start()
        let client = try Self.client(
            index, harness, token: token,
            steps: [
                .object(["op": "call_tool", "name": "asker__ask", "arguments": .object(["question": "Which colour?"])]),
                .object(["op": "call_tool", "name": "asker__sample", "arguments": .object(["prompt": "Say hi"])]),
                .object(["op": "call_tool", "name": "asker__roots", "arguments": .object([:])]),
            ],
            options: [
                "--elicitation-answer", "teal", "--sampling-answer", "hi there", "--roots",
                "file:///work/a,file:///work/b",
            ])
        let asked = try client.next()
        #expect(asked["text"] == "accept: teal", "\(asked.serializedString)")
        let sampled = try client.next()
        #expect(sampled["text"] == "interop-model: hi there", "\(sampled.serializedString)")
        let roots = try client.next()
        #expect(roots["text"] == "file:///work/a\nfile:///work/b", "\(roots.serializedString)")
        #expect(client.finish() == 0)
    }

    /// A 2026-07-28 upstream's `input_required` round trip through Sealgate, with every official client: the
    /// upstream asks for an elicitation the client declared. The 2026-07-28 SDK answers it and retries with the
    /// upstream's exact state itself; for 2025-era clients the gateway sends it as a real `elicitation/create` and
    /// retries for them.
    @Test(arguments: clients.indices)
    func anOfficialClientCompletesAModernUpstreamsInputRequiredRoundTrip(_ index: Int) throws {
        let (harness, token) = try Self.served()
        let client = try Self.client(
            index, harness, token: token,
            steps: [.object(["op": "call_tool", "name": "up__confirm", "arguments": .object([:])])],
            options: ["--elicitation-answer", "teal"])
        let confirmed = try client.next()
        #expect(confirmed["text"] == "confirmed: teal", "\(confirmed.serializedString)")
        #expect(client.finish() == 0)
    }
}
