import Foundation
import MCPWire
import Testing

/// Who gets in (401 for everything else, the same answer every time) and what they see (FeatureSets).
@Suite struct AccessTests {
    @Test func everyUnauthorizedRequestGetsTheSameAnswer() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        let other = try harness.createWorkspace("ops")
        let revoked = try #require(
            try harness.ok(["workspace", "token", "create", "eng", "--name", "gone"]).firstMatch(
                of: /mwt_[A-Za-z0-9_-]+/))
        try harness.ok(["workspace", "token", "revoke", "eng", "gone"])
        let expiring = try #require(
            try harness.ok(["workspace", "token", "create", "eng", "--name", "brief", "--ttl", "1s"])
                .firstMatch(of: /mwt_[A-Za-z0-9_-]+/))
        try harness.start()
        Thread.sleep(forTimeInterval: 1.2)  // the 1 s token has expired by now
        let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#
        let headers = [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list")]
        let cases: [(String, String?, String)] = [
            ("no token", nil, harness.path()),
            ("unknown", "mwt_" + String(repeating: "A", count: 43), harness.path()),
            ("another workspace's", other, harness.path()),
            ("revoked", String(revoked.0), harness.path()),
            ("expired", String(expiring.0), harness.path()),
            ("nonexistent workspace", token, harness.path("nosuch")),
            ("not a bearer token", "Basic abc", harness.path()),
        ]
        var answers: Set<String> = []
        for (label, credential, path) in cases {
            var extra = headers
            if let credential, credential.hasPrefix("Basic") { extra.append(("Authorization", credential)) }
            let response = try HTTP.post(
                port: harness.port, path, token: credential?.hasPrefix("mwt_") == true ? credential : nil, list,
                headers: extra)
            #expect(response.status == 401, "\(label)")
            #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(label)")
            answers.insert("\(response.status) \(response.header("WWW-Authenticate") ?? "") \(response.text)")
        }
        #expect(answers.count == 1, "\(answers)")
        // The valid token does work, and only on its own workspace.
        #expect(try HTTP.post(port: harness.port, harness.path(), token: token, list, headers: headers).status == 200)
    }

    @Test func featureSetsFilterListsAndRefuseCallsAndDenyWins() throws {
        let (harness, _) = try ServingTests.prepared(secret: "k")
        try harness.ok([
            "featureset", "create", "safe", "--workspace", "eng", "--allow", "up__*", "--deny", "up__leak*",
        ])
        try harness.ok(["featureset", "create", "echo-only", "--workspace", "eng", "--allow", "up__echo"])
        let limited = try #require(
            try harness.ok([
                "workspace", "token", "create", "eng", "--name", "ci", "--featureset", "safe", "--featureset",
                "echo-only",
            ])
            .firstMatch(of: /mwt_[A-Za-z0-9_-]+/))
        let token = String(limited.0)
        try harness.start()
        let list = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        let names = list.json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("up__echo") && names.contains("up__env_hash"), "\(list.text)")
        #expect(!names.contains { $0.hasPrefix("up__leak") })  // denied by `safe`, though `echo-only` is silent
        let refused = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__leak_env","arguments":{"name":"API_KEY"}"#, name: "up__leak_env")
        let error = try #require(refused.json?["error"])
        #expect(error["code"] == -32602)
        #expect(error["message"]?.stringValue?.contains("not allowed") == true)
        let unknown = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__nosuch","arguments":{}"#, name: "up__nosuch")
        #expect(unknown.json?["error"]?["code"] != nil)
        let allowed = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__echo","arguments":{"text":"hi"}"#, name: "up__echo")
        #expect(allowed.json?["result"]?["content"]?.arrayValue?.first?["text"] == "hi")
    }

    @Test func aClientTokenWorksWhereGrantedAndOnActiveWhileItsWorkspaceIsActive() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        _ = try harness.createWorkspace("ops")
        try harness.ok(["workspace", "use", "eng"])
        let client = try #require(try harness.ok(["client", "create", "cursor"]).firstMatch(of: /mwt_[A-Za-z0-9_-]+/))
        let token = String(client.0)
        try harness.ok(["client", "grant", "cursor", "--workspace", "eng"])
        try harness.start()
        #expect(
            try HTTP.modern(port: harness.port, harness.path("eng"), token: token, method: "tools/list").status == 200)
        #expect(
            try HTTP.modern(port: harness.port, harness.path("ops"), token: token, method: "tools/list").status == 401)
        #expect(try HTTP.modern(port: harness.port, "/active/mcp", token: token, method: "tools/list").status == 200)
        try harness.ok(["workspace", "use", "ops"])
        try eventually {
            try HTTP.modern(port: harness.port, "/active/mcp", token: token, method: "tools/list").status == 401
        }
    }
}

extension AccessTests {
    @Test func onlyLoopbackOriginsMayCall() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.start()
        func status(origin: String, host: String) throws -> Int {
            try HTTP.request(
                port: harness.port, "POST", harness.path(),
                headers: [
                    ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                    ("Accept", "application/json, text/event-stream"), ("Origin", origin), ("Host", host),
                    ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list"),
                ],
                body: Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#.utf8)
            ).status
        }
        // A DNS-rebinding page names its own host in both headers.
        #expect(try status(origin: "http://evil.example:\(harness.port)", host: "evil.example:\(harness.port)") == 403)
        #expect(try status(origin: "http://localhost:3000", host: "127.0.0.1") == 200)
        #expect(try status(origin: "http://[::1]:3000", host: "127.0.0.1") == 200)
        #expect(try status(origin: "null", host: "127.0.0.1") == 403)
    }
}

/// Polls `condition` every 50 ms for up to `seconds`; fails the test if it never holds.
func eventually(
    within seconds: Double = 2, _ condition: () throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    Issue.record("the condition did not hold within \(seconds) s", sourceLocation: sourceLocation)
}
