import Foundation
import MCPWire
import Testing

/// The client's moves against FeatureSet resource rules: name another server in a `sealgate://SERVER/…` address, or
/// climb out of an allowed prefix with dot segments. Servers `a` and `b` are both the test upstream; both list
/// `test://info`, so each copy is shown as `sealgate://SERVER/test%3A%2F%2Finfo`.
@Suite struct ResourceRuleTests {
    static func served(allowing allow: String) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        for server in ["a", "b"] {
            try harness.addTestUpstream(server, era: "modern", withSecret: false)
            try harness.ok(["mcp", "install", server, "--workspace", "eng"])
        }
        try harness.ok(["featureset", "create", "public", "--workspace", "eng", "--allow", allow])
        let created = try harness.ok(["workspace", "token", "create", "eng", "--name", "c", "--featureset", "public"])
        let token = try #require(created.firstMatch(of: /mwt_[A-Za-z0-9_-]+/))
        try harness.start()
        return (harness, String(token.0))
    }

    static func read(_ harness: ServeHarness, _ token: String, _ uri: String) throws -> JSONValue? {
        try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "resources/read", params: #""uri":"\#(uri)""#,
            name: uri
        ).json
    }

    @Test func aRuleNamingServerAAllowsItsResourcesAndNotServerBsThroughItsAddress() throws {
        let (harness, token) = try Self.served(allowing: "sealgate://a/test://*")
        let listed = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "resources/list").json
        let uris = listed?["result"]?["resources"]?.arrayValue?.compactMap { $0["uri"]?.stringValue } ?? []
        // Only a's copy is listed (b is not even asked), so it needs no sealgate:// address to tell it apart.
        #expect(uris == ["test://info"], "\(uris)")
        let allowed = try Self.read(harness, token, "sealgate://a/test%3A%2F%2Finfo")
        #expect(
            allowed?["result"]?["contents"]?.arrayValue?.first?["text"] == "test upstream info",
            "\(allowed?.serializedString ?? "no answer")")
        let other = try Self.read(harness, token, "sealgate://b/test%3A%2F%2Finfo")
        // The same answer as for a resource that does not exist: the token learns nothing of server b.
        #expect(other?["error"]?["code"] == -32602)
        #expect(
            other?["error"]?["message"] == "Resource not found: sealgate://b/test%3A%2F%2Finfo",
            "\(other?.serializedString ?? "no answer")")
    }

    @Test func dotSegmentsCannotClimbOutOfAnAllowedPrefix() throws {
        let (harness, token) = try Self.served(allowing: "test://info/*")
        for encoded in [
            "test%3A%2F%2Finfo%2F..%2Fsecret", "test%3A%2F%2Finfo%2F%252e%252e%2Fsecret",
            "test%3A%2F%2Finfo%2F..%252Fsecret", "test%3A%2F%2Finfo%2F%252E.%5Csecret",
        ] {
            let answer = try Self.read(harness, token, "sealgate://a/\(encoded)")
            #expect(answer?["error"]?["code"] == -32602, "\(encoded)")
            #expect(
                answer?["error"]?["message"] == .string("Resource not found: sealgate://a/\(encoded)"),
                "refused by the gateway, not the upstream: \(answer?.serializedString ?? "no answer")")
        }
    }
}
