import Foundation
import MCPWire
import Testing

/// 2025-era sessions subscribe to resources and hear their updates (`notifications/resources/updated`) on their
/// stream, under the address they subscribed with; no other session hears them.
@Suite struct ResourceSubscriptionTests {
    /// `eng` with the test upstream (2025 era, stdio) as each of `servers`, installed; served.
    static func served(_ servers: [String], shared: Bool = false) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        for server in servers {
            try harness.ok(
                ["server", "add", server, "--command", ServeHarness.testUpstream, "--arg=--era", "--arg", "legacy"]
                    + (shared ? ["--shared"] : []))
            try harness.ok(["mcp", "install", server, "--workspace", "eng"])
        }
        try harness.start()
        return (harness, token)
    }

    static func request(
        _ harness: ServeHarness, token: String, session: String, _ method: String, _ params: String
    ) throws -> JSONValue? {
        try LoggingTests.request(harness, token: token, session: session, id: 1, method, params)
    }

    /// Has `server`'s `touch_resource` tool send an update of its `test://info`; returns what the tool said.
    static func touch(_ harness: ServeHarness, token: String, session: String, server: String) throws -> JSONValue? {
        try request(
            harness, token: token, session: session, "tools/call",
            #"{"name":"\#(server)__touch_resource","arguments":{"uri":"test://info"}}"#
        )?["result"]?["content"]?.arrayValue?.first?["text"]
    }

    /// The next resource update on `stream`, skipping other events.
    static func nextUpdate(_ stream: HTTP.Connection) throws -> JSONValue {
        while true {
            let event = try #require(try stream.nextEvent(timeout: 5), "the stream ended")
            if event["method"] == "notifications/resources/updated" { return try #require(event["params"]) }
        }
    }

    /// Checks that `session` heard no update: the next message on its stream is the list change it then has `up`
    /// announce.
    static func expectNoUpdate(
        _ harness: ServeHarness, token: String, session: String, stream: HTTP.Connection
    ) throws {
        _ = try request(
            harness, token: token, session: session, "tools/call", #"{"name":"up__emit_list_changed","arguments":{}}"#)
        let next = try #require(try stream.nextEvent(timeout: 5))
        #expect(next["method"] == "notifications/tools/list_changed", "\(next.serializedString)")
    }

    /// One server: the resource keeps its own URI. Two listing the same URI: each is addressed through
    /// `sealgate://SERVER/…`, and the update names the address of the server that sent it.
    @Test(arguments: [["up"], ["up", "up2"]])
    func aSessionHearsUpdatesOfWhatItSubscribedToUnderItsAddress(_ servers: [String]) throws {
        let (harness, token) = try Self.served(servers)
        let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        let server = servers.last!
        let listed = try Self.request(harness, token: token, session: session, "resources/list", "{}")
        let addresses = listed?["result"]?["resources"]?.arrayValue?.compactMap { $0["uri"]?.stringValue } ?? []
        let address = try #require(
            servers.count == 1 ? addresses.first : addresses.first { $0.hasPrefix("sealgate://\(server)/") },
            "\(addresses)")
        #expect(servers.count == 1 ? address == "test://info" : address != "test://info")

        let subscribed = try Self.request(
            harness, token: token, session: session, "resources/subscribe", #"{"uri":"\#(address)"}"#)
        #expect(subscribed?["result"] == .object([:]), "\(subscribed?.serializedString ?? "no answer")")
        #expect(try Self.touch(harness, token: token, session: session, server: server) == "updated")
        #expect(try Self.nextUpdate(stream)["uri"] == .string(address))

        let unsubscribed = try Self.request(
            harness, token: token, session: session, "resources/unsubscribe", #"{"uri":"\#(address)"}"#)
        #expect(unsubscribed?["result"] == .object([:]))
        #expect(try Self.touch(harness, token: token, session: session, server: server) == "not subscribed")
    }

    /// Sessions A and B with their GET streams, on `eng` whose `up` is shared; the sessions at `subscribing` (0: A,
    /// 1: B) subscribed to `test://info`.
    static func twoSessionsOfASharedServer(subscribing: [Int]) throws -> (
        harness: ServeHarness, token: String, a: String, streamA: HTTP.Connection, b: String, streamB: HTTP.Connection
    ) {
        let (harness, token) = try served(["up"], shared: true)
        let (a, streamA) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        let (b, streamB) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        for session in subscribing.map({ [a, b][$0] }) {
            let subscribed = try request(
                harness, token: token, session: session, "resources/subscribe", #"{"uri":"test://info"}"#)
            #expect(subscribed?["result"] == .object([:]))
        }
        return (harness, token, a, streamA, b, streamB)
    }

    /// A shared server sends every session's updates on each session's channel: the gateway passes on only the
    /// ones a session subscribed to.
    @Test func aSharedServersUpdatesReachOnlyTheSessionThatSubscribed() throws {
        let (harness, token, _, streamA, b, streamB) = try Self.twoSessionsOfASharedServer(subscribing: [0])
        // B's call reaches the one upstream, where A's subscription lives; B has a channel to it now.
        #expect(try Self.touch(harness, token: token, session: b, server: "up") == "updated")
        #expect(try Self.nextUpdate(streamA)["uri"] == "test://info")
        try Self.expectNoUpdate(harness, token: token, session: b, stream: streamB)
    }

    /// On a shared server one subscription serves every session: one session's unsubscribe does not end another's.
    @Test func onASharedServerAnUnsubscribeEndsOnlyThatSessionsSubscription() throws {
        let (harness, token, a, streamA, _, streamB) = try Self.twoSessionsOfASharedServer(subscribing: [0, 1])
        let unsubscribed = try Self.request(
            harness, token: token, session: a, "resources/unsubscribe", #"{"uri":"test://info"}"#)
        #expect(unsubscribed?["result"] == .object([:]))
        #expect(try Self.touch(harness, token: token, session: a, server: "up") == "updated")
        #expect(try Self.nextUpdate(streamB)["uri"] == "test://info")
        try Self.expectNoUpdate(harness, token: token, session: a, stream: streamA)
    }

    @Test func initializeOffersResourceSubscriptionsButDiscoveryDoesNot() throws {
        let (harness, token) = try Self.served(["up"])
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(initialize.json?["result"]?["capabilities"]?["resources"]?["subscribe"] == true)
        let discover = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "server/discover")
        #expect(discover.json?["result"]?["capabilities"]?["resources"]?["subscribe"] == nil)
    }
}
