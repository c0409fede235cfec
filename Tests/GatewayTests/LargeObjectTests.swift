import Foundation
import Gateway
import MCPWire
import Testing

/// A JSON object with hundreds of thousands of keys costs the gateway and the broker time linear in its size: one
/// workspace's largest body, all keys, answers, and holds up another workspace's calls for as long as parsing it
/// takes, not minutes. (Looking keys up by a scan made 100,000 keys freeze the gateway for 17 s, for every client;
/// the 358,000 keys here would take hours.)
///
/// Not yet within a second: the gateway parses a body on the event loop that read it, and the broker parses each
/// frame on the event loop of the one connection the gateway's calls share, so a call behind the large one waits for
/// those parses (about 7 s each unoptimised on a loaded machine, 1.5 s optimised). Known issue below.
@Suite struct LargeObjectTests {
    @Test(.timeLimit(.minutes(5)))
    func aBodyFullOfKeysDoesNotHoldUpAnotherWorkspace() throws {
        let harness = try ServeHarness()
        defer { harness.stop() }
        let token = try harness.initialize(workspace: "eng")
        let other = try harness.createWorkspace("ops")
        // The benchmarks' echo upstream parses with MCPWire too: the object crosses the gateway, the broker and it.
        for (server, workspace) in [("big", "eng"), ("calm", "ops")] {
            try harness.ok(["server", "add", server, "--command", ServeHarness.echoUpstream])
            try harness.ok(["mcp", "install", server, "--workspace", workspace])
        }
        try harness.start(extra: ["--log-level", "warning"])

        @Sendable func calm(_ n: Int) throws -> (answered: Bool, seconds: Double, text: String) {
            let sent = Date()
            let response = try HTTP.modern(
                port: harness.port, harness.path("ops"), token: other, id: n, method: "tools/call",
                params: #""name":"calm__echo","arguments":{"text":"calm \#(n)"}"#, name: "calm__echo", timeout: 60)
            let text = response.json?["result"]?["content"]?.arrayValue?.first?["text"]
            return (text == .string("calm \(n)"), Date().timeIntervalSince(sent), response.text)
        }
        #expect(try calm(0).answered)  // both upstreams are started by their first call
        let body = Self.bodyFullOfKeys(limit: GatewayConfiguration(brokerSocket: "").maximumBodySize)
        let warm = try HTTP.modern(
            port: harness.port, harness.path("eng"), token: token, method: "tools/call",
            params: #""name":"big__echo","arguments":{"text":"warm"}"#, name: "big__echo", timeout: 60)
        #expect(warm.status == 200)

        // The whole body is sent; while the gateway and the broker take it in, the other workspace calls.
        let large = try HTTP.Connection(port: harness.port)
        let started = Date()
        try large.sendModernCall(harness.path("eng"), token: token, tool: "big__echo", body: body.text)
        var slowest = 0.0
        for n in 1...3 {
            let (answered, seconds, text) = try calm(n)
            #expect(answered, "\(text.prefix(300))")
            slowest = max(slowest, seconds)
        }
        let answer = try large.readResponse(timeout: 200)
        let largest = Date().timeIntervalSince(started)
        #expect(
            answer.json?["result"]?["content"]?.arrayValue?.first?["text"] == "large",
            "\(answer.status) \(answer.text.prefix(300))")
        print(
            "large objects: \(body.keys) keys in \(body.text.utf8.count) bytes; the large call took",
            "\(String(format: "%.2f", largest)) s, the other workspace's slowest call \(String(format: "%.3f", slowest)) s"
        )
        #expect(slowest < 60)
        withKnownIssue("parsed on event loops, and the broker link is one connection", isIntermittent: true) {
            #expect(slowest < 1)
        }
    }

    /// A 2026-07-28 tools/call of `big__echo` whose arguments fill the body up to `limit` bytes with keys.
    static func bodyFullOfKeys(limit: Int) -> (text: String, keys: Int) {
        let head =
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{\#(HTTP.envelope),"name":"big__echo","arguments":{"text":"large""#
        let tail = "}}}"
        var text = head
        var keys = 0
        while true {
            let member = #","k\#(keys)":0"#
            guard text.utf8.count + member.utf8.count + tail.utf8.count <= limit else { break }
            text += member
            keys += 1
        }
        return (text + tail, keys)
    }
}
