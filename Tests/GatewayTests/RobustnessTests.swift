import Foundation
import MCPWire
import Testing

/// Bad input, failing upstreams, and JSON that must pass byte for byte: the gateway answers precisely and stays up.
@Suite struct RobustnessTests {
    @Test func malformedAndOversizedInputGetPreciseErrors() throws {
        let (harness, token) = try ServingTests.served()
        let path = harness.path()
        let invalid = try HTTP.post(port: harness.port, path, token: token, "{not json")
        #expect(invalid.status == 400 && invalid.json?["error"]?["code"] == -32700)
        let batch = try HTTP.post(port: harness.port, path, token: token, "[]")
        #expect(batch.json?["error"]?["code"] == -32600)
        let noVersion = try HTTP.post(port: harness.port, path, token: token, #"{"id":1,"method":"x"}"#)
        #expect(noVersion.json?["error"]?["code"] == -32600)
        let big =
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"pad\":\""
            + String(repeating: "a", count: 5 << 20) + "\"}}"
        let oversized = try HTTP.post(port: harness.port, path, token: token, big)
        #expect(oversized.status == 413)
        let badParams = try HTTP.modern(
            port: harness.port, path, token: token, method: "tools/call", params: #""name":7"#, name: "")
        #expect(badParams.status == 400 || badParams.json?["error"]?["code"] == -32602)
        // Still serving.
        #expect(try HTTP.modern(port: harness.port, path, token: token, method: "tools/list").status == 200)
    }

    @Test func anAcceptHeaderThatCannotTakeTheAnswerGets406() throws {
        let (harness, token) = try ServingTests.served()
        let body = Array(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#.utf8)
        func modernList(accept: String) throws -> Int {
            try HTTP.request(
                port: harness.port, "POST", harness.path(),
                headers: [
                    ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Accept", accept),
                    ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list"),
                ], body: body
            ).status
        }
        #expect(try modernList(accept: "application/json") == 406)
        #expect(try modernList(accept: "text/event-stream") == 406)
        #expect(try modernList(accept: "application/json, text/event-stream") == 200)
        #expect(try modernList(accept: "*/*") == 200)
        // The 2025-era GET stream needs text/event-stream itself (then, here, the missing session is the 400).
        func legacyStream(accept: String) throws -> Int {
            try HTTP.request(
                port: harness.port, "GET", harness.path(),
                headers: [("Authorization", "Bearer \(token)"), ("Accept", accept)], timeout: 5
            ).status
        }
        #expect(try legacyStream(accept: "*/*") == 406)
        #expect(try legacyStream(accept: "text/event-stream") == 400)
    }

    @Test func anUpstreamThatCrashesOrHangsFailsItsCallOnly() throws {
        let (harness, token) = try ServingTests.prepared(secret: "k")
        try harness.start(extra: ["--request-timeout", "1s", "--restart-backoff", "50ms"])
        let path = harness.path()
        let crash = try HTTP.modern(
            port: harness.port, path, token: token, method: "tools/call", params: #""name":"up__crash","arguments":{}"#,
            name: "up__crash")
        #expect(crash.json?["error"] != nil)
        var last = ""
        try eventually(within: 5) {
            let echo = try HTTP.modern(
                port: harness.port, path, token: token, id: 2, method: "tools/call",
                params: #""name":"up__echo","arguments":{"text":"back"}"#, name: "up__echo")
            last = echo.text
            return echo.json?["result"]?["content"]?.arrayValue?.first?["text"] == "back"
        }
        #expect(last.contains("back"), "\(last)")
        let started = Date()
        let hang = try HTTP.modern(
            port: harness.port, path, token: token, id: 3, method: "tools/call",
            params: #""name":"up__sleep","arguments":{"ms":30000}"#, name: "up__sleep")
        #expect(hang.json?["error"] != nil)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try HTTP.modern(port: harness.port, path, token: token, id: 4, method: "tools/list").status == 200)
    }

    @Test func schemasAndArgumentsPassByteForByte() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        let script = ServeHarness.repositoryRoot.appendingPathComponent("Tests/Interop/fidelity_upstream.py").path
        try harness.ok(["server", "add", "exact", "--command", "/usr/bin/python3", "--arg", script])
        try harness.ok(["mcp", "install", "exact", "--workspace", "eng"])
        try harness.start()
        let schema =
            #"{"type":"object","properties":{"zeta":{"type":"number","default":1.0},"alpha":{"type":"integer","maximum":18446744073709551615}},"required":["zeta"]}"#
        let modern = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        #expect(modern.text.contains(#""inputSchema":"# + schema))
        let arguments = #"{"zeta":1.0,"alpha":18446744073709551615,"b":{"y":1e2,"x":-0.0}}"#
        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params: #""name":"exact__exact","arguments":"# + arguments, name: "exact__exact")
        #expect(call.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == arguments)
    }
}
