import Foundation

/// A JSON value that can cross threads.
///
/// `JSONSerialization` hands back `Any`, which is not `Sendable`; a `sleep` call answers from a
/// background thread, so everything the server keeps or passes around is converted to this enum
/// once on the way in and back to Foundation objects once on the way out. Key order and number
/// lexemes are not preserved: this server is a test fixture and byte fidelity does not matter.
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    /// Member `key` of an object, or nil for a missing key or a non-object.
    subscript(key: String) -> JSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var objectValue: [String: JSON]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// An integer, also from a double with no fractional part (some clients send `100.0`).
    var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int64(value)
        default: return nil
        }
    }
}

extension JSON {
    /// Converts a `JSONSerialization` result; nil for anything that is not JSON.
    init?(foundation value: Any) {
        switch value {
        case is NSNull:
            self = .null
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // JSONSerialization produces booleans as NSNumbers of type "c" (char) on every
            // platform, and never produces a char-typed number for a JSON number.
            switch String(cString: number.objCType) {
            case "c": self = .bool(number.boolValue)
            case "d", "f": self = .double(number.doubleValue)
            default: self = .int(number.int64Value)
            }
        case let array as [Any]:
            var items: [JSON] = []
            items.reserveCapacity(array.count)
            for element in array {
                guard let item = JSON(foundation: element) else { return nil }
                items.append(item)
            }
            self = .array(items)
        case let dictionary as [String: Any]:
            var members: [String: JSON] = [:]
            for (key, element) in dictionary {
                guard let member = JSON(foundation: element) else { return nil }
                members[key] = member
            }
            self = .object(members)
        default:
            return nil
        }
    }

    /// The Foundation object graph `JSONSerialization` can write.
    var foundation: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let value): return value
        case .int(let value): return value
        case .double(let value): return value
        case .string(let value): return value
        case .array(let items): return items.map(\.foundation)
        case .object(let members): return members.mapValues(\.foundation)
        }
    }

    /// Parses one line of input; nil if it is not valid JSON.
    static func parse(_ line: String) -> JSON? {
        parse(Data(line.utf8))
    }

    /// Parses a document, such as an HTTP request body; nil if it is not valid JSON.
    static func parse(_ data: Data) -> JSON? {
        guard let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            return nil
        }
        return JSON(foundation: object)
    }

    /// Serialises to a single line: JSONSerialization never emits raw newlines without
    /// `.prettyPrinted`, which is what the stdio framing requires. Sorted keys keep the output
    /// stable so hand-written test expectations are easy to read.
    func serialized() -> Data {
        // Sorted keys keep answers byte-stable for the tests; sorting the hundreds of thousands of keys of the
        // hostile `many_keys` would take longer than they wait (20 s for 350,000 unoptimised), so those stay unsorted.
        var budget = 10_000
        let options: JSONSerialization.WritingOptions =
            fits(within: &budget)
            ? [.withoutEscapingSlashes, .sortedKeys, .fragmentsAllowed] : [.withoutEscapingSlashes, .fragmentsAllowed]
        return (try? JSONSerialization.data(withJSONObject: foundation, options: options)) ?? Data("null".utf8)
    }

    /// Whether this value has at most `budget` values in all, counting down; stops as soon as it runs out.
    private func fits(within budget: inout Int) -> Bool {
        budget -= 1
        switch self {
        case .array(let elements):
            for element in elements { guard budget >= 0, element.fits(within: &budget) else { return false } }
        case .object(let members):
            for value in members.values { guard budget >= 0, value.fits(within: &budget) else { return false } }
        default: break
        }
        return budget >= 0
    }
}

/// Lets handlers write `["type": "text", "text": value]` for result bodies.
extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(nilLiteral: ()) { self = .null }
}
