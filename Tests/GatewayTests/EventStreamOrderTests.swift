import MCPWire
import Testing

@testable import Gateway

/// A heavy message is serialized off the loop; what is sent after it, and the end of the stream, wait for it.
struct EventStreamOrderTests {
    static let heavy = JSONRPCMessage.notification(
        method: "notifications/progress", params: .array(Array(repeating: .null, count: 20_000)))

    @Test(.timeLimit(.minutes(1)))
    func eventsAfterAHeavyOneKeepTheirOrderAndTheEndComesLast() async {
        let stream = EventStream()
        #expect(stream.send(Self.heavy))
        #expect(stream.send(.result(id: RequestID(1), result: .object([:]))))
        stream.finish()
        #expect(!stream.send(.result(id: RequestID(2), result: .object([:]))))  // after the end: refused, not lost
        #expect(!stream.send(Self.heavy))
        var events: [String] = []
        for await event in stream.events { events.append(event) }
        #expect(events.count == 2)
        #expect(events.first?.contains("notifications/progress") == true)
        #expect(events.last?.contains(#""id":1"#) == true)
    }
}
