import Foundation
import MCPWire
import Testing

@testable import Gateway

/// `input_required` round trips (2026-07-28 multi-round-trip requests) through the gateway: the upstream asks for
/// what the request's client declared, and the client's retry carries the answers and the exact state back.
@Suite struct InputRequiredTests {
    /// `eng` with the test upstream `up` speaking 2026-07-28; served.
    static func served() throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.addTestUpstream("up", era: "modern", withSecret: false)
        try harness.ok(["mcp", "install", "up", "--workspace", "eng"])
        try harness.start()
        return (harness, token)
    }

    /// A 2025-era session that declared elicitation, with its `up__confirm` call `callID` sent (its answer left to
    /// read from `call`) and the question the gateway then asked on the session's stream.
    static func questioned(callID: Int) throws -> (
        harness: ServeHarness, token: String, session: String, stream: HTTP.Connection, call: HTTP.Connection,
        asked: JSONValue
    ) {
        let (harness, token) = try Self.served()
        let (session, stream) = try ClientRequestTests.session(
            harness, token: token, capabilities: #"{"elicitation":{}}"#)
        let call = try ClientRequestTests.send(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":\#(callID),"method":"tools/call","params":{"name":"up__confirm","arguments":{}}}"#)
        let asked = try #require(try stream.nextEvent(timeout: 10))
        #expect(asked["method"] == "elicitation/create" && asked["params"]?["message"] == "Proceed?")
        return (harness, token, session, stream, call, asked)
    }

    @Test func aModernClientAnswersItsUpstreamsInputRequestsByRetrying() throws {
        let (harness, token) = try Self.served()
        let first = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 1, method: "tools/call",
            params: #""name":"up__confirm","arguments":{}"#, name: "up__confirm", capabilities: #"{"elicitation":{}}"#)
        let asked = try #require(first.json?["result"], "\(first.text)")
        #expect(asked["resultType"] == "input_required", "\(first.text)")
        #expect(asked["inputRequests"]?["confirm"]?["method"] == "elicitation/create")
        let state = try #require(asked["requestState"])
        #expect(state == .string("state:1.0:18446744073709551615:\u{E9}\u{1F512}"))
        // Never cached: an input_required result has no freshness fields.
        #expect(asked["ttlMs"] == nil && asked["cacheScope"] == nil)

        let retry = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params:
                #""name":"up__confirm","arguments":{},"inputResponses":{"confirm":{"action":"accept","content":{"answer":"yes"}}},"requestState":\#(state.serializedString)"#,
            name: "up__confirm", capabilities: #"{"elicitation":{}}"#)
        let done = try #require(retry.json?["result"], "\(retry.text)")
        #expect(done["resultType"] == "complete")
        #expect(done["content"]?.arrayValue?.first?["text"] == "confirmed: yes", "\(retry.text)")
    }

    @Test func anUpstreamAsksNothingOfAClientThatDeclaredNothing() throws {
        let (harness, token) = try Self.served()
        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__confirm","arguments":{}"#, name: "up__confirm")
        let result = try #require(call.json?["result"], "\(call.text)")
        #expect(result["isError"] == true)
        #expect(result["content"]?.arrayValue?.first?["text"] == "the client did not declare elicitation")
    }

    /// A 2025-era client knows nothing of `input_required`: the gateway asks it with a real `elicitation/create` on
    /// its stream, and retries the call with its answer and the upstream's exact state.
    @Test func aLegacyClientIsAskedOnItsStreamAndTheGatewayRetriesForIt() throws {
        let (harness, token, session, _, call, asked) = try Self.questioned(callID: 1)
        let id = try #require(asked["id"])
        let answer = try ClientRequestTests.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":\#(id.serializedString),"result":{"action":"accept","content":{"answer":"yes"}}}"#)
        #expect(answer.status == 202)
        let result = try #require(try call.readResponse(timeout: 10).json?["result"])
        #expect(result["content"]?.arrayValue?.first?["text"] == "confirmed: yes", "\(result.serializedString)")
        #expect(result["resultType"] == nil)
    }

    /// Nothing declared at `initialize`: the upstream is told so, and asks nothing, even when the client's request
    /// claims otherwise in its own `_meta` (the gateway could not relay what the client never declared).
    @Test func aLegacyClientThatDeclaredNothingIsNotAsked() throws {
        let (harness, token) = try Self.served()
        let (session, _) = try ClientRequestTests.session(harness, token: token, capabilities: "{}")
        let call = try ClientRequestTests.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__confirm","arguments":{},"_meta":{"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}"#
        )
        let result = try #require(call.json?["result"], "\(call.text)")
        #expect(result["isError"] == true)
        #expect(result["content"]?.arrayValue?.first?["text"] == "the client did not declare elicitation")
    }

    /// A client that cancels its call is told that the question asked for it is off.
    @Test func aCancelledCallWithdrawsTheQuestionItWaitedFor() throws {
        let (harness, token, session, stream, call, asked) = try Self.questioned(callID: 7)
        let cancelled = try ClientRequestTests.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}"#)
        #expect(cancelled.status == 202)
        let withdrawn = try #require(try stream.nextEvent(timeout: 5))
        #expect(withdrawn["method"] == "notifications/cancelled", "\(withdrawn.serializedString)")
        #expect(withdrawn["params"]?["requestId"] == asked["id"])
        withExtendedLifetime(call) {}
    }

    /// The gateway answers round after round for a 2025-era client, up to 8: an upstream that still asks after that
    /// ends the call with a tool error.
    @Test(arguments: [3, 9])
    func theGatewayAnswersUpToEightRoundsForALegacyClient(_ rounds: Int) throws {
        let (harness, token) = try Self.served()
        let (session, stream) = try ClientRequestTests.session(
            harness, token: token, capabilities: #"{"elicitation":{}}"#)
        let call = try ClientRequestTests.send(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__confirm","arguments":{"rounds":\#(rounds)}}}"#
        )
        for round in 1...min(rounds, InputRequiredShim.maximumRounds) {
            let asked = try #require(try stream.nextEvent(timeout: 10), "round \(round)")
            #expect(asked["method"] == "elicitation/create")
            let id = try #require(asked["id"])
            _ = try ClientRequestTests.post(
                harness, token: token, session: session,
                #"{"jsonrpc":"2.0","id":\#(id.serializedString),"result":{"action":"accept","content":{"answer":"r\#(round)"}}}"#
            )
        }
        let result = try #require(try call.readResponse(timeout: 10).json?["result"])
        let text = result["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
        if rounds <= InputRequiredShim.maximumRounds {
            #expect(text == "confirmed: r\(rounds) after \(rounds) rounds" && result["isError"] == false, "\(text)")
        } else {
            #expect(text == "the upstream still needed input after 8 rounds" && result["isError"] == true, "\(text)")
        }
    }

    /// The client's error answer ends the call, as a tool error naming it.
    @Test func aClientsErrorAnswerEndsTheCall() throws {
        let (harness, token, session, _, call, asked) = try Self.questioned(callID: 1)
        let id = try #require(asked["id"])
        _ = try ClientRequestTests.post(
            harness, token: token, session: session,
            #"{"jsonrpc":"2.0","id":\#(id.serializedString),"error":{"code":-1,"message":"the user closed the dialog"}}"#
        )
        let result = try #require(try call.readResponse(timeout: 10).json?["result"])
        #expect(result["isError"] == true)
        #expect(
            result["content"]?.arrayValue?.first?["text"] == "the upstream needs input: the user closed the dialog")
    }
}
