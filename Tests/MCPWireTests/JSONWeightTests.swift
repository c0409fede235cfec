import MCPWire
import Testing

/// `outweighs` decides where a message is serialized: it must tell heavy from light, and cost little to ask.
struct JSONWeightTests {
    @Test func valuesStringsAndKeysCount() {
        #expect(!JSONValue.object(["a": 1, "b": "x"]).outweighs(3))
        #expect(JSONValue.object(["a": 1, "b": "x"]).outweighs(2))
        #expect(JSONValue.string(String(repeating: "x", count: 800)).outweighs(99))
        #expect(!JSONValue.string(String(repeating: "x", count: 800)).outweighs(101))
        #expect(JSONValue.array(Array(repeating: .null, count: 10)).outweighs(10))
        #expect(!JSONValue.array(Array(repeating: .null, count: 10)).outweighs(11))
        var nested: JSONValue = .null
        for _ in 0..<100 { nested = .array([nested]) }
        #expect(nested.outweighs(99))
        #expect(!nested.outweighs(101))
    }

    @Test func askingStopsAtTheLimitWhateverTheSize() {
        // A million members, asked a hundred thousand times: only the first few are ever looked at.
        let huge = JSONValue.array(Array(repeating: .object(["k": 0]), count: 1_000_000))
        let started = ContinuousClock.now
        var heavy = 0
        for _ in 0..<100_000 where huge.outweighs(4) { heavy += 1 }
        #expect(heavy == 100_000)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func messagesWeighTheirPayload() {
        let heavy = JSONValue.array(Array(repeating: .null, count: 100))
        #expect(JSONRPCMessage.request(id: RequestID(1), method: "m", params: heavy).outweighs(50))
        #expect(JSONRPCMessage.result(id: RequestID(1), result: heavy).outweighs(50))
        #expect(!JSONRPCMessage.notification(method: "m", params: nil).outweighs(0))
    }
}
