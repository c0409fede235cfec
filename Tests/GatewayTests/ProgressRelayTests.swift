import MCPWire
import Synchronization
import Testing

@testable import Gateway

/// The gateway's side of progress routing, alone: a route is bound to the channel its request went out on, and its
/// token cannot be guessed.
struct ProgressRelayTests {
    @Test func progressReachesARequestOnlyFromItsOwnChannelWithItsOwnToken() throws {
        let relay = ProgressRelay()
        let heard = Mutex<[JSONValue]>([])
        let params: JSONValue = .object(["_meta": .object(["progressToken": "mine"])])
        let (sent, token) = relay.register(params, channel: 5) { progress in heard.withLock { $0.append(progress) } }
        let given = try #require(token)
        #expect(sent?["_meta"]?["progressToken"]?.stringValue == given)
        #expect(given.count == "sgp-".count + 32)
        let (_, other) = relay.register(params, channel: 5) { _ in }
        #expect(other != given)

        // The right token from another channel (another upstream, another workspace) is swallowed, not delivered.
        #expect(relay.deliver(.object(["progressToken": .string(given), "message": "INJECTED"]), channel: 6))
        // Guesses are not ours.
        for guess in ["sgp-1", "sgp-2", "sealgate-1", String(given.dropLast()) + "x"] {
            #expect(!relay.deliver(.object(["progressToken": .string(guess), "message": "INJECTED"]), channel: 5))
        }
        #expect(heard.withLock { $0.isEmpty })

        #expect(relay.deliver(.object(["progressToken": .string(given), "message": "ok"]), channel: 5))
        #expect(heard.withLock { $0 } == [.object(["progressToken": "mine", "message": "ok"])])
        relay.release(given)
        #expect(!relay.deliver(.object(["progressToken": .string(given)]), channel: 5))
    }
}
