import MCPWire

/// The protocol versions the gateway speaks to its clients, and how results look in each era.
enum Eras {
    static let modern = "2026-07-28"
    /// 2025-era versions, newest first; `initialize` asking for another gets the newest.
    static let legacy = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    static let subscriptionIDKey = "io.modelcontextprotocol/subscriptionId"

    static let serverInfo: JSONValue = .object(["name": "sealgate", "version": .string(Release.version)])

    /// What the gateway offers every client: merged lists that change, and completions routed to their server.
    static let capabilities: JSONValue = .object([
        "tools": .object(["listChanged": true]),
        "prompts": .object(["listChanged": true]),
        "resources": .object(["listChanged": true]),
        "completions": .object([:]),
    ])

    /// 2025-era sessions also hear their upstreams' log messages and the updates of resources they subscribed to
    /// (`SessionRelay`). The 2026-07-28 front relays neither (logging is deprecated in that revision, and listen
    /// streams' resource subscriptions are not served), so `server/discover` offers neither.
    static let legacyCapabilities: JSONValue = {
        var object = capabilities.objectValue ?? [:]
        object["logging"] = .object([:])
        object["resources"] = .object(["listChanged": true, "subscribe": true])
        return .object(object)
    }()

    /// Results a 2026-07-28 client may cache, which must carry `ttlMs` and `cacheScope`.
    static let cacheable: Set<String> = [
        "server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read",
    ]

    /// Methods the 2026-07-28 revision removed: a modern request for one gets 404 and -32601.
    static let removedInModern: Set<String> = [
        "initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
    ]

    /// A neutral result as a 2026-07-28 client expects it: `resultType`, cache hints, the server's identity.
    static func modernResult(_ result: JSONValue, method: String) -> JSONValue {
        guard var object = result.objectValue else { return result }
        if object["resultType"] == nil { object["resultType"] = "complete" }
        if cacheable.contains(method), object["resultType"] == "complete" {
            // Lists are per token and change with the configuration: never cached across clients, never stale.
            object["ttlMs"] = 0
            object["cacheScope"] = "private"
        }
        var meta = object["_meta"]?.objectValue ?? [:]
        meta[serverInfoKey] = serverInfo
        object["_meta"] = .object(meta)
        return .object(object)
    }

    /// 2025-era servers answer a missing resource with -32002, which 2026-07-28 replaced with -32602.
    static let legacyResourceNotFound = -32002

    /// An upstream's error as a 2026-07-28 client expects it: a legacy "resource not found" of a read becomes -32602.
    /// (Elsewhere -32002 is a server's own code, passed on as it is.)
    static func modernError(_ error: JSONRPCError, method: String) -> JSONRPCError {
        guard error.code == legacyResourceNotFound, method == "resources/read" else { return error }
        return JSONRPCError(code: JSONRPCError.invalidParams, message: error.message, data: error.data)
    }

    /// The answer to a 2025-era `initialize`: the client's version when we speak it, else our newest.
    static func initializeResult(params: JSONValue?, workspace: String?) -> JSONValue {
        let asked = params?["protocolVersion"]?.stringValue
        let version = asked.flatMap { legacy.contains($0) ? $0 : nil } ?? legacy[0]
        var result: JSONObject = [
            "protocolVersion": .string(version), "capabilities": legacyCapabilities, "serverInfo": serverInfo,
        ]
        if let workspace {
            result["instructions"] = .string(
                "Tools of the Sealgate workspace \(workspace), named server__tool after the server that provides them.")
        }
        return .object(result)
    }

    /// The answer to `server/discover`.
    static func discoverResult() -> JSONValue {
        .object([
            "resultType": "complete", "supportedVersions": .array([.string(modern)]), "capabilities": capabilities,
            "ttlMs": 0, "cacheScope": "private", "_meta": .object([serverInfoKey: serverInfo]),
        ])
    }

    /// The change notification for each kind, without duplicates (resources and templates share one).
    static func changeNotifications(_ kinds: Set<ListKind>) -> [String] {
        Array(Set(kinds.map(\.changeNotification))).sorted()
    }
}
