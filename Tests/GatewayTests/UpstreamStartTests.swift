import Foundation
import MCPWire
import TestSupport
import Testing

/// A client cannot make Sealgate start what its token cannot use, nor start upstreams without bound: a server outside
/// a token's FeatureSets is never started (nor named, even when it fails), a token holds a bounded number of
/// 2025-era sessions, and a workspace a bounded number of upstreams. Each refusal is counted in `/metrics`.
@Suite struct UpstreamStartTests {
    /// A token allowed `good__*` only, in a workspace with `good` and `hidden` (which would fail: its secret is
    /// unset). Returns the harness and the limited token.
    static func limited(extra: [String] = []) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        try harness.addTestUpstream("good", era: "legacy", withSecret: false)
        try harness.addTestUpstream("hidden", era: "legacy")
        try harness.ok(["mcp", "install", "good", "--workspace", "eng"])
        try harness.ok(["mcp", "install", "hidden", "--workspace", "eng"])
        try harness.ok(["featureset", "create", "good-only", "--workspace", "eng", "--allow", "good__*"])
        let created = try harness.ok([
            "workspace", "token", "create", "eng", "--name", "limited", "--featureset", "good-only",
        ])
        let token = String(try #require(created.firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0)
        try harness.start(extra: extra)
        return (harness, token)
    }

    /// The value of a `/metrics` series line that starts with `prefix`, 0 when it is absent.
    static func metric(_ harness: ServeHarness, _ prefix: String) throws -> Int {
        let text = try HTTP.request(port: harness.port, "GET", "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Int(Double($0) ?? 0) } } ?? 0
    }

    /// The attacker's move: sessions of a token that can use nothing of `hidden` list everything there is. `hidden`
    /// is never started (no process, no decryption, no audit entry) and never named, though it would fail.
    @Test func aServerOutsideTheTokensFeatureSetsIsNeverStartedNorNamed() throws {
        let (harness, token) = try Self.limited()
        defer { harness.stop() }
        for id in 1...4 {
            let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
            defer { withExtendedLifetime(stream) {} }
            for method in ["tools/list", "prompts/list", "resources/list", "resources/templates/list"] {
                let answer = try HTTP.post(
                    port: harness.port, harness.path(), token: token,
                    #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":{}}"#,
                    headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
                #expect(answer.status == 200)
                #expect(!answer.text.contains("hidden"), "\(method): \(answer.text)")
            }
        }
        let modern = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        #expect(!modern.text.contains("hidden"), "\(modern.text)")
        // Naming the server in a resource address starts nothing either, and answers as for a server that does not
        // exist (a plain tool pattern such as good__* matches no URI).
        for (id, (method, params)) in [
            ("resources/read", #""uri":"sealgate://SERVER/good__x""#),
            ("resources/read", #""uri":"sealgate://SERVER/test%3A%2F%2Finfo""#),
            (
                "completion/complete",
                #""ref":{"type":"ref/resource","uri":"sealgate://SERVER/good__x"},"argument":{"name":"a","value":"b"}"#
            ),
        ].enumerated() {
            var answers: [String] = []
            for server in ["hidden", "nosuch"] {
                let answer = try HTTP.modern(
                    port: harness.port, harness.path(), token: token, id: 100 + id, method: method,
                    params: params.replacingOccurrences(of: "SERVER", with: server))
                answers.append(answer.text.replacingOccurrences(of: server, with: "SERVER"))
            }
            #expect(answers[0] == answers[1], "\(method): \(answers)")
        }
        let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        defer { withExtendedLifetime(stream) {} }
        let subscribe = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":9,"method":"resources/subscribe","params":{"uri":"sealgate://hidden/good__x"}}"#,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
        #expect(subscribe.json?["error"] != nil, "\(subscribe.text)")
        #expect(try Self.metric(harness, #"sealgate_upstream_starts_total{workspace="eng",server="good"}"#) >= 1)
        #expect(try Self.metric(harness, #"sealgate_upstream_starts_total{workspace="eng",server="hidden"}"#) == 0)
        #expect(try Self.metric(harness, #"sealgate_upstream_failures_total{workspace="eng",server="hidden"}"#) == 0)
        let audit = try harness.ok(["audit", "--workspace", "eng"])
        let uses = audit.split(separator: "\n").filter {
            $0.contains("hidden") && !$0.contains("server.") && !$0.contains("mcp.")
        }
        #expect(uses.isEmpty, "\(uses)")
    }

    /// One token opens sessions until refused (serve's limit set to 32): the first 32 are served, the next gets 429
    /// with what to do, in both 2025-era transports, and ending one makes room.
    @Test func aTokenHoldsABoundedNumberOfSessions() throws {
        let (harness, token) = try Self.limited(extra: ["--max-sessions-per-token", "32"])
        defer { harness.stop() }
        var sessions: [String] = []
        for id in 1...32 {
            let opened = try HTTP.post(
                port: harness.port, harness.path(), token: token,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
            )
            sessions.append(try #require(opened.header("Mcp-Session-Id"), "session \(id): \(opened.text)"))
        }
        let refused = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":33,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(refused.status == 429 && refused.header("Mcp-Session-Id") == nil)
        #expect(refused.text.contains("end one"), "\(refused.text)")
        let sse = try HTTP.request(
            port: harness.port, "GET", harness.path("eng", "sse"), headers: [("Authorization", "Bearer \(token)")],
            timeout: 5)
        #expect(sse.status == 429)
        #expect(try Self.metric(harness, #"sealgate_sessions_refused_total{limit="per_token"}"#) == 2)
        // Ending one makes room again.
        let ended = try HTTP.request(
            port: harness.port, "DELETE", harness.path(),
            headers: [("Authorization", "Bearer \(token)"), ("Mcp-Session-Id", sessions[0])])
        #expect(ended.status == 200)
        let again = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":34,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(again.header("Mcp-Session-Id") != nil)
    }

    /// Sessions of a workspace whose upstream limit is 2: the third session's upstream is refused with the limit
    /// named (and counted), the first two keep working.
    @Test func aWorkspaceHoldsABoundedNumberOfUpstreams() throws {
        let (harness, token) = try Self.limited(extra: ["--max-upstreams-per-workspace", "2"])
        defer { harness.stop() }
        var answers: [String] = []
        var streams: [HTTP.Connection] = []
        for id in 1...3 {
            let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
            streams.append(stream)
            answers.append(
                try HTTP.post(
                    port: harness.port, harness.path(), token: token,
                    #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"good__echo","arguments":{"text":"hi"}}}"#,
                    headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
                ).text)
        }
        #expect(answers[0].contains(#""text":"hi""#) && answers[1].contains(#""text":"hi""#), "\(answers)")
        #expect(answers[2].contains("the most it may"), "\(answers[2])")
        #expect(try Self.metric(harness, #"sealgate_upstream_refusals_total{workspace="eng",server="good"}"#) >= 1)
        // The sessions of one token cannot lock the workspace's stateless clients out: the pool is not counted.
        let stateless = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 9, method: "tools/call",
            params: #""name":"good__echo","arguments":{"text":"still"}"#, name: "good__echo")
        #expect(stateless.text.contains(#""text":"still""#), "\(stateless.text)")
        withExtendedLifetime(streams) {}
    }
}
