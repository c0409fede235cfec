import Foundation
import MCPWire
import TestSupport
import Testing

/// No resolved secret value leaves the broker in the broker's own words: an error about a server whose command or
/// header holds a `${NAME}` names the template or the header, never the value, and anything upstream-related is
/// masked besides. Each test is the attacker's (or the careless operator's) move.
@Suite struct PlaintextBoundaryTests {
    static let secret = "sk-leak-\(UInt32.random(in: 1000...9999))-value"

    /// The tools/list answer of `token` in `eng`, as sent.
    static func toolsList(_ harness: ServeHarness, token: String) throws -> HTTP.Response {
        try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
    }

    /// A command that resolves to a missing program: its "cannot find" names `tool-${API_TOKEN}`, not the value,
    /// in `tools/list`'s `_meta` and in a call's error; `sealgate run` with such a command says the same.
    @Test func aCommandThatCannotBeFoundIsNamedByItsTemplate() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.ok(["server", "add", "leaky", "--command", "tool-${API_TOKEN}"])
        try harness.ok(["mcp", "install", "leaky", "--workspace", "eng"])
        try harness.ok(["secrets", "set", "leaky", "API_TOKEN", "--workspace", "eng"], stdin: Self.secret)
        try harness.start()
        let list = try Self.toolsList(harness, token: token)
        #expect(list.text.contains("tool-${API_TOKEN}"), "\(list.text)")
        #expect(!list.text.contains(Self.secret), "\(list.text)")
        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params: #""name":"leaky__x","arguments":{}"#, name: "leaky__x")
        #expect(!call.text.contains(Self.secret), "\(call.text)")
        let run = try harness.run(["run", "--server", "leaky", "--workspace", "eng", "--", "tool-${API_TOKEN}"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("tool-${API_TOKEN}"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(Self.secret), "\(run.stderr)")
        #expect(!harness.logs.contains(Self.secret))
    }

    /// A header whose secret holds a control character is refused before the HTTP client sees it (whose own
    /// refusal would quote the value): the error names the header, in both upstream eras.
    @Test(arguments: ["legacy", "modern"])
    func aHeaderValueWithAControlCharacterIsRefusedByName(era: String) throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        let upstream = try HTTPTestUpstream(ServeHarness.testUpstream, era: era)
        defer { withExtendedLifetime(upstream) { harness.stop() } }
        try harness.ok(["server", "add", "remote", "--url", upstream.url, "--header", "X-Api-Key: ${API_TOKEN}"])
        try harness.ok(["mcp", "install", "remote", "--workspace", "eng"])
        try harness.ok(
            ["secrets", "set", "remote", "API_TOKEN", "--workspace", "eng"], stdin: Self.secret + "\u{1}tail")
        try harness.start()
        let list = try Self.toolsList(harness, token: token)
        #expect(list.text.contains("X-Api-Key"), "\(list.text)")
        #expect(!list.text.contains(Self.secret), "\(list.text)")
        #expect(!harness.logs.contains(Self.secret))
    }

    /// The hostile upstream puts an injected value in every part of its answer, in notifications and in an error; a 2025-era session that listens to its logs sees it masked everywhere (the halves it sent in two
    /// messages are not the value).
    @Test(arguments: ["stdio", "http"])
    func aHostileUpstreamsLeaksAreMaskedEverywhere(transport: String) throws {
        let (harness, token, http) = try LoggingTests.served(transport: transport)
        defer { withExtendedLifetime(http) { harness.stop() } }
        let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        let secret = ServingTests.secret
        for (id, asError) in [(1, false), (2, true)] {
            let answer = try HTTP.post(
                port: harness.port, harness.path(), token: token,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"up__leak_everywhere","arguments":{"name":"API_KEY","as_error":\#(asError)},"_meta":{"progressToken":"p\#(id)"}}}"#,
                headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
            #expect(answer.text.contains("[REDACTED:API_KEY]"), "\(answer.text)")
            #expect(!answer.text.contains(secret), "\(answer.text)")
        }
        var logged = ""
        while let event = try? stream.nextEvent(timeout: 2) { logged += event.serializedString + "\n" }  // until quiet
        #expect(logged.contains("[REDACTED:API_KEY]"), "\(logged)")
        #expect(!logged.contains(secret), "\(logged)")
    }

    /// A hostile upstream puts an injected value in its catalog: a tool's and a prompt's name and description, a
    /// resource's URI, name and description, and a resource's contents. Every list and the read come back masked.
    @Test(arguments: ["stdio", "http"])
    func aHostileUpstreamsCatalogIsMasked(transport: String) throws {
        let (harness, token, http) = try LoggingTests.served(transport: transport, leaking: true)
        defer { withExtendedLifetime(http) { harness.stop() } }
        let secret = ServingTests.secret
        for (n, (method, params)) in [
            ("tools/list", ""), ("prompts/list", ""), ("resources/list", ""),
            ("resources/read", #""uri":"sealgate://up/test://leak""#),
        ].enumerated() {
            let answer = try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: n, method: method, params: params,
                name: method == "resources/read" ? "sealgate://up/test://leak" : nil)
            #expect(answer.text.contains("[REDACTED:API_KEY]"), "\(method): \(answer.text.prefix(600))")
            #expect(!answer.text.contains(secret), "\(method): \(answer.text.prefix(600))")
        }
    }
}
