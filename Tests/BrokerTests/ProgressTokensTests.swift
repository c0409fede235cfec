import MCPWire
import Testing

@testable import Broker

/// The broker's side of progress routing, alone: an upstream reaches a request only through a token it was given
/// for it, which it cannot guess.
struct ProgressTokensTests {
    static func params(_ token: JSONValue) -> JSONValue {
        .object(["_meta": .object(["progressToken": token]), "name": "t"])
    }

    static func progress(_ token: String) -> JSONValue {
        .object(["progressToken": .string(token), "progress": 1, "message": "m"])
    }

    @Test func anUpstreamGetsUnguessableTokensAndOnlyTheyRouteBack() throws {
        var tokens = ProgressTokens()
        let (first, firstToken) = tokens.map(Self.params("client-a"), channel: 1)
        let (_, secondToken) = tokens.map(Self.params(7), channel: 2)
        let given = try #require(firstToken)
        #expect(first?["_meta"]?["progressToken"]?.stringValue == given)
        #expect(given.count == "sealgate-".count + 32 && given != secondToken)
        // The way back restores the channel's own token, on that channel.
        let back = try #require(tokens.route(Self.progress(given)))
        #expect(back.channel == 1 && back.params["progressToken"] == "client-a")
        // A guess, or the counter forms earlier code used, goes nowhere.
        for guess in ["sealgate-1", "sealgate-2", "sgp-1", "1", String(given.dropLast()) + "0"] where guess != given {
            #expect(tokens.route(Self.progress(guess)) == nil)
        }
        // On one request's stream, another request's token is refused even though it is real.
        #expect(tokens.route(Self.progress(given), arrivedFor: 2) == nil)
        #expect(tokens.route(Self.progress(given), arrivedFor: 1) != nil)
        // A finished request's token, and a gone channel's, route nowhere.
        tokens.release(given)
        #expect(tokens.route(Self.progress(given)) == nil)
        tokens.forget(channel: 2)
        #expect(tokens.route(Self.progress(try #require(secondToken))) == nil)
        // A request without a progress token is left alone.
        let plain: JSONValue = .object(["name": "t"])
        #expect(tokens.map(plain, channel: 1).params == plain)
    }
}
