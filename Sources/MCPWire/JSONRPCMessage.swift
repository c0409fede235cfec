/// A JSON-RPC request id: a string or a number (kept as its lexeme so it goes back exactly as it came).
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(String)

    public init(_ integer: Int) { self = .number(String(integer)) }

    /// The id a JSON value holds; nil for anything but a string or a number.
    public init?(json value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .number(let n): .number(n)
        }
    }

    public var description: String { json.serializedString }
}

/// A JSON-RPC error object.
public struct JSONRPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// MCP 2026-07-28: headers disagree with the body.
    public static let headerMismatch = -32020
    /// MCP 2026-07-28: the request needs a client capability it did not declare.
    public static let missingClientCapability = -32021
    /// MCP 2026-07-28: protocol version not served.
    public static let unsupportedProtocolVersion = -32022

    public var json: JSONValue {
        var object: JSONObject = ["code": JSONValue(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    init?(_ value: JSONValue) {
        guard let code = value["code"]?.intValue, let message = value["message"]?.stringValue else { return nil }
        self.init(code: code, message: message, data: value["data"])
    }
}

/// One JSON-RPC 2.0 message. Batches are not part of MCP and are refused.
public enum JSONRPCMessage: Sendable, Equatable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case result(id: RequestID, result: JSONValue)
    case error(id: RequestID?, JSONRPCError)

    /// Parses and validates a message; anything malformed is a `JSONRPCError` ready to send back
    /// (-32700 for bad JSON, -32600 for a bad shape).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONRPCError) -> JSONRPCMessage {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw JSONRPCError(code: JSONRPCError.parseError, message: "Parse error: \(error.message)")
        }
        return try JSONRPCMessage(value)
    }

    public init(_ value: JSONValue) throws(JSONRPCError) {
        func invalid(_ why: String) -> JSONRPCError {
            JSONRPCError(code: JSONRPCError.invalidRequest, message: "Invalid Request: \(why)")
        }
        guard let object = value.objectValue else {
            throw invalid(value.arrayValue != nil ? "batches are not supported" : "not an object")
        }
        guard object["jsonrpc"] == .string("2.0") else { throw invalid("\"jsonrpc\" must be \"2.0\"") }
        let params = object["params"]
        if let params, params.objectValue == nil, params.arrayValue == nil {
            throw invalid("params must be an object or an array")
        }
        if let methodValue = object["method"] {
            guard let method = methodValue.stringValue else { throw invalid("method must be a string") }
            guard let idValue = object["id"] else {
                self = .notification(method: method, params: params)
                return
            }
            guard let id = RequestID(json: idValue) else { throw invalid("id must be a string or a number") }
            self = .request(id: id, method: method, params: params)
            return
        }
        let id = object["id"].flatMap { RequestID(json: $0) }
        if let result = object["result"] {
            guard let id, object["error"] == nil else {
                throw invalid("a response needs an id and only one of result or error")
            }
            self = .result(id: id, result: result)
        } else if let errorValue = object["error"], let error = JSONRPCError(errorValue) {
            guard object["id"] == .null || id != nil else { throw invalid("bad id in an error response") }
            self = .error(id: id, error)
        } else {
            throw invalid("neither a request, a notification nor a response")
        }
    }

    public var json: JSONValue {
        var object: JSONObject = ["jsonrpc": "2.0"]
        switch self {
        case .request(let id, let method, let params):
            object["id"] = id.json
            object["method"] = .string(method)
            if let params { object["params"] = params }
        case .notification(let method, let params):
            object["method"] = .string(method)
            if let params { object["params"] = params }
        case .result(let id, let result):
            object["id"] = id.json
            object["result"] = result
        case .error(let id, let error):
            object["id"] = id?.json ?? .null
            object["error"] = error.json
        }
        return .object(object)
    }

    public var serialized: [UInt8] { json.serialized }

    public var method: String? {
        switch self {
        case .request(_, let method, _), .notification(let method, _): method
        default: nil
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}
