import Foundation
import MCPWire
import Testing

/// Prompts, resources, templates and completions of several servers behind one endpoint: merged lists, and gets and
/// reads routed to the owning server under its own name, in both eras.
@Suite struct AggregationTests {
    /// `eng` with the test upstream as `old` (2025 era) and `new` (2026-07-28), installed; served.
    static func served() throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        for (server, era) in [("old", "legacy"), ("new", "modern")] {
            try harness.addTestUpstream(server, era: era, withSecret: false)
            try harness.ok(["mcp", "install", server, "--workspace", "eng"])
        }
        try harness.start()
        return (harness, token)
    }

    static func modern(
        _ harness: ServeHarness, token: String, _ method: String, _ params: String, name: String? = nil
    ) throws -> JSONValue? {
        try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: method, params: params, name: name
        ).json
    }

    @Test func promptsAreMergedAndEachGetReachesItsServer() throws {
        let (harness, token) = try Self.served()
        let listed = try Self.modern(harness, token: token, "prompts/list", "")
        let names = listed?["result"]?["prompts"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(Set(names) == ["old__greeting", "new__greeting"], "\(names)")
        for server in ["old", "new"] {
            let got = try Self.modern(
                harness, token: token, "prompts/get", #""name":"\#(server)__greeting","arguments":{"name":"Ada"}"#,
                name: "\(server)__greeting")
            let text = got?["result"]?["messages"]?.arrayValue?.first?["content"]?["text"]
            #expect(text == "Hello, Ada!", "\(got?.serializedString ?? "no answer")")
        }
        // The upstream's own refusal comes back; a name no server lists is refused by the gateway.
        let refused = try Self.modern(
            harness, token: token, "prompts/get", #""name":"new__greeting","arguments":{}"#, name: "new__greeting")
        #expect(refused?["error"]?["message"] == "prompt greeting needs the argument name")
        for name in ["new__nosuch", "zz__greeting"] {
            let unknown = try Self.modern(
                harness, token: token, "prompts/get", #""name":"\#(name)","arguments":{}"#, name: name)
            #expect(unknown?["error"]?["code"] == -32602)
            #expect(unknown?["error"]?["message"] == .string("Unknown prompt: \(name)"))
        }
    }

    /// Both servers list `test://info`: each copy gets a `sealgate://SERVER/…` address that reads from that server.
    @Test func aURIListedTwiceIsAddressedPerServerAndReadFromIt() throws {
        let (harness, token) = try Self.served()
        let listed = try Self.modern(harness, token: token, "resources/list", "")
        let uris = listed?["result"]?["resources"]?.arrayValue?.compactMap { $0["uri"]?.stringValue } ?? []
        let encoded = "test%3A%2F%2Finfo"
        #expect(Set(uris) == ["sealgate://old/\(encoded)", "sealgate://new/\(encoded)"], "\(uris)")
        for uri in uris {
            let read = try Self.modern(harness, token: token, "resources/read", #""uri":"\#(uri)""#, name: uri)
            #expect(
                read?["result"]?["contents"]?.arrayValue?.first?["text"] == "test upstream info",
                "\(read?.serializedString ?? "no answer")")
        }
        let templates = try Self.modern(harness, token: token, "resources/templates/list", "")
        #expect(templates?["result"]?["resourceTemplates"] == .array([]))
    }

    /// A 2025 server's "resource not found" (-32002) reaches a 2026-07-28 client as -32602, that revision's code,
    /// and a 2025-era client as the server sent it.
    @Test func aLegacyResourceNotFoundIsTranslatedForModernClientsOnly() throws {
        let (harness, token) = try Self.served()
        let missing = "sealgate://old/test%3A%2F%2Fnosuch"
        let modern = try Self.modern(harness, token: token, "resources/read", #""uri":"\#(missing)""#, name: missing)
        #expect(modern?["error"]?["code"] == -32602, "\(modern?.serializedString ?? "no answer")")
        #expect(modern?["error"]?["message"] == "Resource not found")
        let (session, _) = try ClientRequestTests.session(harness, token: token, capabilities: "{}")
        let legacy = try ClientRequestTests.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"\#(missing)"}}"#)
        #expect(legacy.json?["error"]?["code"] == -32002, "\(legacy.text)")
    }

    /// `completion/complete` goes to the server of the prompt it completes (which here does not serve it).
    @Test func aCompletionGoesToThePromptsServer() throws {
        let (harness, token) = try Self.served()
        let completion = try Self.modern(
            harness, token: token, "completion/complete",
            #""ref":{"type":"ref/prompt","name":"old__greeting"},"argument":{"name":"name","value":"A"}"#)
        #expect(completion?["error"]?["code"] == -32601, "\(completion?.serializedString ?? "no answer")")
        #expect(completion?["error"]?["data"] == "completion/complete")  // the upstream's own answer
        let unknown = try Self.modern(
            harness, token: token, "completion/complete",
            #""ref":{"type":"ref/prompt","name":"zz__greeting"},"argument":{"name":"name","value":"A"}"#)
        #expect(unknown?["error"]?["code"] == -32602)
    }
}
