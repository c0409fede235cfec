import Testing

@testable import MCPWire

/// `JSONObject` costs O(1) per operation whatever its size, and behaves like the plain ordered list of members it
/// was before its index: same order, same duplicate rule, same equality.
struct JSONObjectTests {
    /// Before the index, each insert scanned the members: 20,000 keys took 5 s in an optimised build, 40,000 took
    /// 21 s, 200,000 would take many minutes. Linear, this takes a few seconds even unoptimised on a loaded machine.
    @Test(.timeLimit(.minutes(2))) func parsingTwoHundredThousandKeysIsLinear() throws {
        let text = Self.object(keys: 200_000)
        let clock = ContinuousClock()
        let started = clock.now
        let object = try #require(try JSONParser.parse(text).objectValue)
        let elapsed = clock.now - started
        #expect(object.count == 200_000)
        #expect(object["k199999"] == .number("199999") && object["k0"] == .number("0"))
        #expect(JSONValue.object(object).serializedString == text)
        #expect(elapsed < .seconds(60), "took \(elapsed)")
    }

    /// The broker's masking copies every member into a new object, and the era adapter removes members in a loop.
    @Test(.timeLimit(.minutes(2))) func copyingAndRemovingMemberByMemberIsLinear() throws {
        let source = try #require(try JSONParser.parse(Self.object(keys: 200_000)).objectValue)
        let clock = ContinuousClock()
        let started = clock.now
        var copy = JSONObject()
        for member in source.members { copy[member.key] = member.value }
        #expect(copy == source)
        for key in copy.keys where key != "k7" { copy[key] = nil }
        #expect(copy.members.map(\.key) == ["k7"])
        let elapsed = clock.now - started
        #expect(elapsed < .seconds(60), "took \(elapsed)")
    }

    @Test(arguments: [3, JSONObject.indexThreshold + 5])
    func aLaterDuplicateReplacesTheValueInPlace(_ width: Int) throws {
        // Below and above the size where the index is built.
        let others = (0..<width).map { #","k\#($0)":\#($0)"# }.joined()
        let object = try #require(try JSONParser.parse(#"{"a":1,"b":2\#(others),"a":3}"#).objectValue)
        #expect(object.keys.prefix(2) == ["a", "b"])
        #expect(object["a"] == .number("3"))
        #expect(object.count == width + 2)
    }

    /// Random edits on objects of every size agree with a plain list of members edited by linear search (what
    /// `JSONObject` was), including through holes, compactions and the index being built.
    @Test func randomEditsAgreeWithAPlainOrderedList() {
        var rng = SplitMix64(seed: 0x0B1E_C7)
        for round in 0..<300 {
            var object = JSONObject()
            var model: [(key: String, value: JSONValue)] = []
            let keySpace = UInt64([4, 20, 60, 400][round % 4])
            for step in 0..<Int(rng.next() % 600) {
                let key = "k\(rng.next() % keySpace)"
                let value: JSONValue? = rng.next() % 3 == 0 ? nil : .number(String(step))
                object[key] = value
                if let at = model.firstIndex(where: { $0.key == key }) {
                    if let value { model[at].value = value } else { model.remove(at: at) }
                } else if let value {
                    model.append((key, value))
                }
                #expect(object[key] == value)
            }
            #expect(object.members.map(\.key) == model.map(\.key))
            #expect(object.members.map(\.value) == model.map(\.value))
            #expect(object.count == model.count && object.isEmpty == model.isEmpty)
            var rebuilt = JSONObject()
            for member in model { rebuilt[member.key] = member.value }
            #expect(object == rebuilt)
            #expect(object.hashValue == rebuilt.hashValue)
            #expect(JSONValue.object(object).serialized == JSONValue.object(rebuilt).serialized)
        }
    }

    @Test func aRemovedKeyAddedAgainGoesLast() {
        var object = JSONObject()
        for i in 0..<40 { object["k\(i)"] = JSONValue(i) }
        object["k3"] = nil
        object[""] = "empty"
        object["k3"] = "back"
        object["k4"] = nil
        #expect(object.keys.suffix(2) == ["", "k3"])
        #expect(!object.keys.contains("k4") && object.count == 40)
        #expect(object == JSONObject(members: object.members))
    }

    @Test func objectsInAnotherOrderDiffer() {
        let ab: JSONObject = ["a": 1, "b": 2]
        let ba: JSONObject = ["b": 2, "a": 1]
        #expect(ab != ba)
    }

    static func object(keys: Int) -> String {
        "{" + (0..<keys).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
    }
}

extension JSONObject {
    fileprivate init(members: [(key: String, value: JSONValue)]) {
        self.init()
        for member in members { self[member.key] = member.value }
    }
}
