import BrokerProtocol
import MCPWire
import Testing

/// The lane of a large frame, read from its bytes before it is parsed off the loop, is the lane of the message.
struct FrameLaneTests {
    @Test(arguments: FrameCodecTests.samples)
    func theScanOfEveryEncodedMessageFindsItsLane(_ message: BrokerMessage) throws {
        let frame = message.frame
        #expect(FrameLane.of(frame.dropFirst(4)) == message.lane)
        #expect(FrameLane.of(try FrameDecoder.object(frame.dropFirst(4))) == message.lane)
    }

    @Test func aChannelAfterOtherMembersIsFoundAndNestedOnesAreNot() {
        let text = #"{"type":"request","params":{"channel":9,"s":"}\",\"channel\":8"},"id":1,"channel":3}"#
        #expect(FrameLane.of(Array(text.utf8)) == .channel(3))
        #expect(FrameLane.of(Array(#"{"type":"hello","nested":[{"channel":2}]}"#.utf8)) == .control)
    }

    @Test func aFrameNamingOnlyARefHasALaneOfItsOwn() {
        // One workspace's large `open` must not hold up another's token check: they are in different lanes.
        #expect(FrameLane.of(Array(#"{"type":"open","ref":"r1","workspace":"eng"}"#.utf8)) == .ref("r1"))
        #expect(FrameLane.of(Array(#"{"type":"authenticate","ref":"a7","token":"mwt_x"}"#.utf8)) == .ref("a7"))
        #expect(FrameLane.of(Array(#"{"type":"opened","ref":"r1","channel":4}"#.utf8)) == .channel(4))
        #expect(FrameLane.of(Array(#"{"type":"hello","protocol":1}"#.utf8)) == .control)
        #expect(FrameLane.of(Array(#"{"type":"open","ref":"r\u0031"}"#.utf8)) == .control)
    }

    @Test func whatTheScanCannotReadIsTheControlLane() {
        for text in [
            #"{"type":"request","chann\u0065l":3}"#,  // the parser reads `channel`; the scan does not decode escapes
            #"{"channel":3.5}"#, #"{"channel":"3"}"#, #"{"channel":3"#, #"[{"channel":3}]"#, "",
            #"{"pad":""# + String(repeating: "x", count: 5000) + #"","channel":3}"#,  // past the scan's reach
        ] {
            #expect(FrameLane.of(Array(text.utf8)) == .control, "\(text.prefix(60))")
        }
    }

    @Test func heavyPayloadsAreTheOnesThatOutweighTheLimit() {
        var keys = JSONObject()
        for n in 0..<2000 { keys["k\(n)"] = 0 }
        let heavy = BrokerMessage.request(channel: 1, id: .number("1"), method: "tools/call", params: .object(keys))
        #expect(heavy.outweighs(1000))
        #expect(!heavy.outweighs(10_000))
        #expect(!BrokerMessage.close(channel: 1).outweighs(0))
        let text = String(repeating: "x", count: 80_000)
        #expect(BrokerMessage.response(channel: 1, id: .number("1"), outcome: .result(.string(text))).outweighs(9000))
    }
}
