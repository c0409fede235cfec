/// A JSON value that round-trips faithfully: object keys keep their order and numbers keep their lexeme
/// (`1.0` stays `1.0`, `18446744073709551615` stays exact), so a proxy can rewrite one field and forward the rest
/// unchanged.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    /// The number exactly as written in the source (already validated as a JSON number).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(_ string: String) { self = .string(string) }
    public init(_ integer: Int) { self = .number(String(integer)) }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number as an integer, when it is one that fits.
    public var intValue: Int? {
        if case .number(let lexeme) = self { return Int(lexeme) }
        return nil
    }

    /// Member lookup on objects; nil for anything else.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}
