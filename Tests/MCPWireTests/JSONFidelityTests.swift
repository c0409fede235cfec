import Testing

@testable import MCPWire

struct JSONFidelityTests {
    @Test(arguments: [
        #"{"b":2,"a":1}"#,
        #"{"n":1.0,"big":18446744073709551615,"e":1e3,"neg":-0.5,"E":2E-7}"#,
        #"{"s":"data:text/plain,hello","u":"é😀","esc":"a\"b\\c\nd\u0001"}"#,
        #"[null,true,false,[],{},"",0,-0]"#,
        #"{"inputSchema":{"type":"object","properties":{"z":{"type":"number","default":1.0},"a":{"const":18446744073709551615}}}}"#,
    ])
    func compactJSONRoundTripsByteForByte(_ text: String) throws {
        #expect(try JSONParser.parse(text).serializedString == text)
    }

    @Test func escapesAreDecodedAndReEncodedMinimally() throws {
        let value = try JSONParser.parse(#""\u00e9\ud83d\ude00\/""#)
        #expect(value == .string("é😀/"))
        #expect(value.serializedString == "\"é😀/\"")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"\\x\"", "\"\u{01}\"", "{\"a\" 1}", "[1] x",
        "\"\\ud800\"",
        "\"\\udc00x\"", "nul", "1e", "{1:2}",
    ])
    func malformedInputIsAnErrorNotACrash(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func invalidUTF8IsRefused() {
        // In a string without an escape, and after one.
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x61, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
    }

    /// The limit is exactly `maximumDepth` levels of arrays and objects mixed; one more is an error, not a crash.
    @Test(arguments: [#"{"a":"#, "["])
    func nestingStopsAtTheLimit(_ opening: String) throws {
        func nested(_ depth: Int) -> String {
            let closing = opening == "[" ? "]" : "}"
            return String(repeating: opening, count: depth) + "0" + String(repeating: closing, count: depth)
        }
        let deepest = try JSONParser.parse(nested(JSONParser.maximumDepth))
        #expect(try JSONParser.parse(deepest.serialized) == deepest)
        let error = try #require(throws: JSONParseError.self) {
            try JSONParser.parse(nested(JSONParser.maximumDepth + 1))
        }
        #expect(error.message.hasPrefix("nesting deeper than"))
    }

    @Test func objectMembersKeepTheirOrderWhenEdited() throws {
        var object = try #require(try JSONParser.parse(#"{"z":1,"m":2,"a":3}"#).objectValue)
        object["m"] = "two"
        object["b"] = 4
        object["z"] = nil
        #expect(JSONValue.object(object).serializedString == #"{"m":"two","a":3,"b":4}"#)
    }

    /// Random values serialize and parse back to themselves (a property over many thousands of cases).
    @Test func randomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EA1_6A7E)
        for _ in 0..<5_000 {
            let value = JSONValue.random(using: &rng, depth: 0)
            let text = value.serialized
            #expect(try JSONParser.parse(text) == value)
        }
    }

    /// Random bytes never crash the parser.
    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array(#"{}[]:,"\ 0123456789.-+eEtruefalsn"#.utf8) + [0x00, 0xFF, 0x0A]
        for _ in 0..<20_000 {
            let bytes = (0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            _ = try? JSONParser.parse(bytes)
        }
    }
}

/// A small deterministic generator, so a failure reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension JSONValue {
    static func random(using rng: inout SplitMix64, depth: Int) -> JSONValue {
        let choice = rng.next() % (depth > 3 ? 5 : 7)
        switch choice {
        case 0: return .null
        case 1: return .bool(rng.next() % 2 == 0)
        case 2: return .number(["0", "-1", "1.0", "18446744073709551615", "3.25e-7", "42"][Int(rng.next() % 6)])
        case 3, 4:
            let pieces = ["a", "é", "😀", "\"", "\\", "\n", "\u{01}", " ", "x/y"]
            return .string(
                (0..<Int(rng.next() % 5)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined())
        case 5: return .array((0..<Int(rng.next() % 4)).map { _ in random(using: &rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            for i in 0..<Int(rng.next() % 4) {
                object["k\(i)\(rng.next() % 3)"] = random(using: &rng, depth: depth + 1)
            }
            return .object(object)
        }
    }
}
