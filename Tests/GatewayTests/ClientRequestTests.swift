import Foundation
import MCPWire
import Testing

/// An upstream's requests for its client (elicitation, sampling, roots) reach the 2025-era session whose upstream it
/// is, when that client declared them; the session's answer goes back; nothing else is asked. (The official SDKs on
/// both ends: `InteropTests.anUpstreamsRequestsReachTheOfficialClientAndItsAnswersComeBack`.)
@Suite struct ClientRequestTests {
    /// `eng` with `asker` (an official-SDK server whose tools ask the client, `--shared` if `sharedAsker`) and the
    /// test upstream `up`; served.
    static func served(sharedAsker: Bool = false) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        let script = ServeHarness.repositoryRoot.appendingPathComponent("Tests/Interop/asking_upstream.py").path
        try harness.ok(
            ["server", "add", "asker", "--command", try PythonClient.python("v1"), "--arg", script]
                + (sharedAsker ? ["--shared"] : []))
        try harness.ok(["mcp", "install", "asker", "--workspace", "eng"])
        try harness.addTestUpstream("up", era: "legacy", withSecret: false)
        try harness.ok(["mcp", "install", "up", "--workspace", "eng"])
        try harness.start()
        return (harness, token)
    }

    /// Opens a 2025-era session declaring `capabilities`, with its GET stream.
    static func session(
        _ harness: ServeHarness, token: String, capabilities: String
    ) throws -> (id: String, stream: HTTP.Connection) {
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":\#(capabilities),"clientInfo":{"name":"t","version":"1"}}}"#
        )
        let id = try #require(initialize.header("Mcp-Session-Id"))
        let stream = try HTTP.Connection(port: harness.port)
        try stream.send(
            "GET", harness.path(),
            headers: [("Authorization", "Bearer \(token)"), ("Accept", "text/event-stream"), ("Mcp-Session-Id", id)],
            body: [])
        #expect(try stream.readHead(timeout: 5).0 == 200)
        return (id, stream)
    }

    static func post(_ harness: ServeHarness, token: String, session: String, _ body: String) throws -> HTTP.Response {
        try HTTP.post(
            port: harness.port, harness.path(), token: token, body,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
    }

    /// POSTs a request of a session whose answer waits for the client: returns the connection to read it from.
    static func send(_ harness: ServeHarness, token: String, session: String, _ body: String) throws -> HTTP.Connection
    {
        let connection = try HTTP.Connection(port: harness.port)
        try connection.send(
            "POST", harness.path(),
            headers: [
                ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                ("Accept", "application/json, text/event-stream"), ("Mcp-Session-Id", session),
                ("MCP-Protocol-Version", "2025-11-25"),
            ], body: Array(body.utf8))
        return connection
    }

    @Test func aSessionAnswersItsUpstreamsElicitationAndOnlyItIsAsked() throws {
        let (harness, token) = try Self.served()
        let (a, streamA) = try Self.session(harness, token: token, capabilities: #"{"elicitation":{}}"#)
        let (b, streamB) = try Self.session(harness, token: token, capabilities: #"{"elicitation":{}}"#)
        // A's call waits upstream for A's answer: it is sent now, and its answer read later.
        let call = try Self.send(
            harness, token: token, session: a,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"asker__ask","arguments":{"question":"Which colour?"}}}"#
        )
        let asked = try #require(try streamA.nextEvent(timeout: 10))
        #expect(asked["method"] == "elicitation/create", "\(asked.serializedString)")
        #expect(asked["params"]?["message"] == "Which colour?")
        let id = try #require(asked["id"])
        // B answering with A's id changes nothing: the id is A's session's.
        let stray = try Self.post(
            harness, token: token, session: b,
            #"{"jsonrpc":"2.0","id":\#(id.serializedString),"result":{"action":"accept","content":{"answer":"red"}}}"#)
        #expect(stray.status == 202)
        let answer = try Self.post(
            harness, token: token, session: a,
            #"{"jsonrpc":"2.0","id":\#(id.serializedString),"result":{"action":"accept","content":{"answer":"teal"}}}"#)
        #expect(answer.status == 202)
        let result = try call.readResponse(timeout: 10)
        #expect(
            result.json?["result"]?["content"]?.arrayValue?.first?["text"] == "accept: teal",
            "\(result.json?.serializedString ?? "no answer")")
        // B was not asked: its stream is empty (read with a short timeout, which throws when nothing comes).
        #expect(throws: (any Error).self) { try streamB.nextEvent(timeout: 1) }
        // And a request B's own upstream makes that B did not declare is refused.
        let refused = try Self.post(
            harness, token: token, session: b,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"asker__roots","arguments":{}}}"#)
        let text = refused.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        #expect(text.contains("roots/list is not relayed"), "\(text)")
    }

    @Test func aClientsRootsChangeReachesItsUpstreams() throws {
        let (harness, token) = try Self.served()
        let (session, _) = try Self.session(harness, token: token, capabilities: #"{"roots":{"listChanged":true}}"#)
        func changes() throws -> JSONValue? {
            try Self.post(
                harness, token: token, session: session,
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__roots_changes","arguments":{}}}"#
            ).json?["result"]?["content"]?.arrayValue?.first?["text"]
        }
        #expect(try changes() == "0")
        let notified = try Self.post(
            harness, token: token, session: session, #"{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}"#)
        #expect(notified.status == 202)
        try eventually(within: 5) { try changes() == "1" }
    }

    /// A server that asks as soon as it is initialized (as filesystem servers list their client's roots) reaches the
    /// client whose first call started it: the broker holds the request until the channel is attached, and the
    /// gateway knows the channel from its `opened`.
    @Test func anUpstreamThatAsksAtOnceReachesTheClientThatStartedIt() throws {
        let (harness, token) = try Self.served()
        let (session, stream) = try Self.session(harness, token: token, capabilities: #"{"roots":{}}"#)
        func call(_ tool: String) throws -> JSONValue? {
            try Self.post(
                harness, token: token, session: session,
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__\#(tool)","arguments":{}}}"#
            ).json?["result"]?["content"]?.arrayValue?.first?["text"]
        }
        #expect(try call("pid") != nil)  // starts the upstream, which asks for the roots after its handshake
        let asked = try #require(try stream.nextEvent(timeout: 10))
        #expect(asked["method"] == "roots/list", "\(asked.serializedString)")
        let id = try #require(asked["id"])
        let answer = try Self.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":\#(id.serializedString),"result":{"roots":[{"uri":"file:///work/r"}]}}"#)
        #expect(answer.status == 202)
        try eventually(within: 5) { try call("initial_roots") == "file:///work/r" }
    }

    /// A shared server serves every session: whatever it asks is refused, never sent to some session's client.
    @Test func aSharedServersRequestsAreRefused() throws {
        let (harness, token) = try Self.served(sharedAsker: true)
        let (session, stream) = try Self.session(harness, token: token, capabilities: #"{"elicitation":{}}"#)
        let call = try Self.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"asker__ask","arguments":{"question":"Which colour?"}}}"#
        )
        let text = call.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        #expect(text.contains("elicitation/create is not relayed"), "\(call.text)")
        #expect(throws: (any Error).self) { try stream.nextEvent(timeout: 1) }
    }
}

extension ClientRequestTests {
    /// An upstream that withdraws its request (`notifications/cancelled`), or whose channel closes, has the client
    /// told that the question is off, under the gateway's id.
    @Test func aWithdrawnOrOrphanedQuestionIsCancelledAtTheClient() throws {
        let (harness, token) = try Self.served()
        let (session, stream) = try Self.session(harness, token: token, capabilities: #"{"roots":{}}"#)
        let called = try Self.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__ask_and_withdraw","arguments":{}}}"#)
        #expect(called.json?["result"]?["content"]?.arrayValue?.first?["text"] == "asked and withdrew")
        // First the roots/list the upstream sent on initializing (left unanswered), then the one it withdraws.
        var asked: [JSONValue] = []
        var cancelled: [JSONValue] = []
        while cancelled.isEmpty {
            let event = try #require(try stream.nextEvent(timeout: 10))
            if event["method"] == "roots/list", let id = event["id"] { asked.append(id) }
            if event["method"] == "notifications/cancelled", let id = event["params"]?["requestId"] {
                cancelled.append(id)
            }
        }
        #expect(asked.count == 2 && cancelled == [asked[1]], "asked \(asked), cancelled \(cancelled)")
        // Uninstalling the server closes the session's channel: the question still open is withdrawn too.
        try harness.ok(["mcp", "remove", "up", "--workspace", "eng"])
        var orphaned: JSONValue?
        while orphaned == nil {  // the list changes of the removal come too
            let event = try #require(try stream.nextEvent(timeout: 10))
            if event["method"] == "notifications/cancelled" { orphaned = event["params"]?["requestId"] }
        }
        #expect(orphaned == asked[0])
    }
}
