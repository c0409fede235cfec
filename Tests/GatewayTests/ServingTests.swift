import Foundation
import MCPWire
import Synchronization
import TestSupport
import Testing

/// `serve` end to end with raw HTTP: both eras on one URL, namespacing, injection and masking.
@Suite struct ServingTests {
    static let secret = "sk-live-4b1d-gateway-test-7c0ffee"

    /// A home with workspace `eng` and the test upstream `up` installed there with `API_KEY` set, not yet served;
    /// returns the harness and `eng`'s token.
    static func prepared(secret: String = ServingTests.secret) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.addTestUpstream("up")
        try harness.ok(["mcp", "install", "up", "--workspace", "eng"])
        try harness.ok(["secrets", "set", "up", "API_KEY", "--workspace", "eng"], stdin: secret)
        return (harness, token)
    }

    /// `prepared()`, served by `serve EXTRA`.
    static func served(extra: [String] = []) throws -> (ServeHarness, String) {
        let (harness, token) = try prepared()
        try harness.start(extra: extra)
        return (harness, token)
    }

    @Test func aModernClientListsNamespacedToolsAndCallsThemWithTheSecretMasked() throws {
        let (harness, token) = try Self.served()
        let list = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        #expect(list.status == 200)
        let result = try #require(list.json?["result"])
        let names = result["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("up__echo") && names.contains("up__leak_env"))
        #expect(names.allSatisfy { $0.wholeMatch(of: /[A-Za-z0-9_-]{1,64}/) != nil })
        #expect(result["resultType"] == "complete" && result["ttlMs"] == 0 && result["cacheScope"] == "private")

        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params: #""name":"up__leak_env","arguments":{"name":"API_KEY"}"#, name: "up__leak_env")
        #expect(call.text.contains("[REDACTED:API_KEY]"))
        #expect(!call.text.contains(Self.secret))
    }

    @Test func aLegacyClientInitializesASessionAndUsesIt() throws {
        let (harness, token) = try Self.served()
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(initialize.json?["result"]?["protocolVersion"] == "2025-06-18")
        let session = try #require(initialize.header("Mcp-Session-Id"))
        let headers = [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-06-18")]
        let hash = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__env_hash","arguments":{"name":"API_KEY"}}}"#,
            headers: headers)
        #expect(hash.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == sha256Hex(Self.secret))
        #expect(hash.json?["result"]?["resultType"] == nil)  // 2025-era results carry no 2026 fields
        let ping = try HTTP.post(
            port: harness.port, harness.path(), token: token, #"{"jsonrpc":"2.0","id":2,"method":"ping"}"#,
            headers: headers)
        #expect(ping.json?["result"] == .object([:]))
        let missing = try HTTP.post(
            port: harness.port, harness.path(), token: token, #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)
        #expect(missing.status == 400)
        let unknown = try HTTP.post(
            port: harness.port, harness.path(), token: token, #"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
            headers: [("Mcp-Session-Id", "nope")])
        #expect(unknown.status == 404)
        let deleted = try HTTP.request(
            port: harness.port, "DELETE", harness.path(),
            headers: [("Authorization", "Bearer \(token)"), ("Mcp-Session-Id", session)])
        #expect(deleted.status == 200)
        let afterDelete = try HTTP.post(
            port: harness.port, harness.path(), token: token, #"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
            headers: headers)
        #expect(afterDelete.status == 404)
    }

    @Test func theModernRulesAreChecked() throws {
        let (harness, token) = try Self.served()
        let path = harness.path()
        func status(_ message: String, _ headers: [(String, String)]) throws -> (Int, Int?) {
            let response = try HTTP.post(port: harness.port, path, token: token, message, headers: headers)
            return (response.status, response.json?["error"]?["code"]?.intValue)
        }
        let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#
        #expect(try status(body, [("MCP-Protocol-Version", "2026-07-28")]) == (400, -32020))  // no Mcp-Method
        #expect(
            try status(body, [("MCP-Protocol-Version", "2025-11-25"), ("Mcp-Method", "tools/list")]) == (400, -32020))
        let future = body.replacingOccurrences(of: "2026-07-28", with: "2099-01-01")
        #expect(
            try status(future, [("MCP-Protocol-Version", "2099-01-01"), ("Mcp-Method", "tools/list")]) == (400, -32022))
        let bare = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#
        #expect(
            try status(bare, [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list")]) == (400, -32602))
        let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping","params":{\#(HTTP.envelope)}}"#
        #expect(try status(ping, [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "ping")]) == (404, -32601))
        let call =
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__echo","arguments":{"text":"x"},\#(HTTP.envelope)}}"#
        #expect(
            try status(
                call, [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "up__other")])
                == (400, -32020))
        let encodedName = "=?base64?" + Data("up__echo".utf8).base64EncodedString() + "?="
        let encoded = try HTTP.post(
            port: harness.port, path, token: token, call,
            headers: [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", encodedName)])
        #expect(encoded.json?["result"]?["content"]?.arrayValue?.first?["text"] == "x")
        let discover = try HTTP.modern(port: harness.port, path, token: token, method: "server/discover")
        #expect(discover.json?["result"]?["supportedVersions"] == ["2026-07-28"])
        let get = try HTTP.request(
            port: harness.port, "GET", path,
            headers: [("Authorization", "Bearer \(token)"), ("MCP-Protocol-Version", "2026-07-28")])
        #expect(get.status == 405)
    }

    @Test func progressArrivesOnTheRequestsStreamWithTheClientsToken() throws {
        let (harness, token) = try Self.served()
        let response = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__progress","arguments":{}"#, name: "up__progress")
        // Without a progress token the answer is plain JSON.
        #expect(response.header("Content-Type") == "application/json")
        let streamed = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"up__progress","arguments":{},"_meta":{"progressToken":"mine-1","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
            headers: [
                ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "up__progress"),
            ])
        #expect(streamed.header("Content-Type") == "text/event-stream")
        #expect(streamed.text.contains(#""progressToken":"mine-1""#))
        #expect(streamed.json?["id"] == 9)
    }

    /// The benchmarks' fast upstream behind the gateway: a 2026-07-28 client reaches it (a 2025-era server), and
    /// 32 calls at once, which share its one process, each get their own answer.
    @Test func theBenchmarksEchoUpstreamAnswersThroughTheGateway() throws {
        let harness = try ServeHarness()
        defer { harness.stop() }
        let token = try harness.initialize()
        try harness.ok(["server", "add", "fast", "--command", ServeHarness.echoUpstream])
        try harness.ok(["mcp", "install", "fast", "--workspace", "eng"])
        try harness.start()
        let list = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        #expect(list.json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["fast__echo"])
        let answers = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: 32) { index in
            let call = try? HTTP.modern(
                port: harness.port, harness.path(), token: token, id: index, method: "tools/call",
                params: #""name":"fast__echo","arguments":{"text":"call \#(index)"}"#, name: "fast__echo")
            let text = call?.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
            answers.withLock { $0[index] = text }
        }
        #expect(answers.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0..<32).map { ($0, "call \($0)") }))
        let refused = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"fast__echo","arguments":{}"#, name: "fast__echo")
        #expect(refused.json?["error"]?["code"] == -32602)
    }
}

/// SHA-256 as lowercase hex, via the system's `sha256sum` (the test upstream hashes with its own implementation).
func sha256Hex(_ text: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let (input, output) = (Pipe(), Pipe())
    process.standardInput = input
    process.standardOutput = output
    try? process.run()
    process.killIfStillRunning(after: 30)
    input.fileHandleForWriting.write(Data(text.utf8))
    try? input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    _ = try? process.waitForExit()
    return String(String(decoding: out, as: UTF8.self).prefix(64))
}
