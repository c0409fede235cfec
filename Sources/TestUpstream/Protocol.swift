/// Names and versions this server speaks, in one place so the tests that read them agree.
enum MCP {
    /// The 2026-07-28 era's single version.
    static let modernVersion = "2026-07-28"
    /// Handshake-era versions echoed back by `initialize`; anything else is countered with the newest.
    static let legacyVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    static let newestLegacyVersion = "2025-11-25"

    /// Reserved `_meta` keys of the 2026-07-28 request envelope and its results.
    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let subscriptionIdKey = "io.modelcontextprotocol/subscriptionId"

    static let serverInfo: JSON = ["name": "sealgate-test-upstream", "version": "1.0.0"]

    /// Everything is advertised as list-changing so `emit_list_changed` is legitimate in both eras.
    static let capabilities: JSON = [
        "tools": ["listChanged": true],
        "prompts": ["listChanged": true],
        "resources": ["listChanged": true],
    ]

    /// The handshake era also serves `resources/subscribe` (2026-07-28 removed it).
    static let legacyCapabilities: JSON = [
        "tools": ["listChanged": true],
        "prompts": ["listChanged": true],
        "resources": ["listChanged": true, "subscribe": true],
    ]
}

/// A JSON-RPC request id: a string or an integer, kept as sent so responses echo it exactly.
enum RequestID: Hashable, Sendable {
    case int(Int64)
    case string(String)

    init?(_ json: JSON) {
        switch json {
        case .string(let value): self = .string(value)
        case .int(let value): self = .int(value)
        // A fractional id is legal JSON-RPC but no client uses one; keying it by its integer
        // part would make cancellation ambiguous, so it is refused as an invalid request.
        default: return nil
        }
    }

    var json: JSON {
        switch self {
        case .int(let value): return .int(value)
        case .string(let value): return .string(value)
        }
    }
}

/// A JSON-RPC error object; handlers throw it and the dispatcher turns it into a response.
struct RPCError: Error, Sendable {
    var code: Int64
    var message: String
    var data: JSON?

    static let parseError = RPCError(code: -32700, message: "Parse error")
    static let invalidRequest = RPCError(code: -32600, message: "Invalid Request")
    static let notInitialized = RPCError(code: -32600, message: "not initialized")
    static let handshakeEraOnly = RPCError(
        code: -32600,
        message:
            "this connection serves the handshake era; requests carrying the \(MCP.modernVersion) envelope are not accepted on it"
    )
    static let methodNotFound = RPCError(code: -32601, message: "Method not found")

    static func invalidParams(_ message: String) -> RPCError {
        RPCError(code: -32602, message: message)
    }

    /// -32022 UnsupportedProtocolVersion, naming what is served so the client can retry or fall back.
    static func unsupportedVersion(requested: JSON, message: String = "Unsupported protocol version") -> RPCError {
        RPCError(
            code: -32022, message: message, data: ["supported": [.string(MCP.modernVersion)], "requested": requested])
    }

    var json: JSON {
        var members: [String: JSON] = ["code": .int(code), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }
}

/// Builders for the three kinds of message this server writes.
enum Message {
    static func result(id: RequestID, _ result: [String: JSON]) -> JSON {
        ["jsonrpc": "2.0", "id": id.json, "result": .object(result)]
    }

    /// `id` is nil when the request's id could not be read (parse errors): JSON-RPC says `null`.
    static func error(id: RequestID?, _ error: RPCError) -> JSON {
        ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": error.json]
    }

    static func notification(_ method: String, params: [String: JSON]? = nil) -> JSON {
        var members: [String: JSON] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { members["params"] = .object(params) }
        return .object(members)
    }
}
