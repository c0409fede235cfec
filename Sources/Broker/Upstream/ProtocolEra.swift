import BrokerProtocol
import MCPWire

/// The protocol era an upstream speaks, learned by probing once per server definition.
enum ProtocolEra: Sendable, Equatable {
    /// 2026-07-28: no handshake, the envelope on every request.
    case modern
    /// 2024-11-05 … 2025-11-25: `initialize`, then a session for the life of the process.
    case legacy

    static let modernVersion = "2026-07-28"
    static let legacyVersion = "2025-11-25"
    static let envelopePrefix = "io.modelcontextprotocol/"
}

/// Pure translation between an upstream's era and the broker protocol's era-neutral model.
enum EraAdapter {
    static let clientInfo: JSONValue = .object(["name": "sealgate-broker", "version": "0.1.0"])

    /// `server/discover` with the modern envelope: the probe.
    static func discoverParams() -> JSONValue {
        .object(["_meta": .object(envelope())])
    }

    /// `initialize` for a legacy upstream, declaring `capabilities` (none when nil).
    static func initializeParams(capabilities: JSONValue? = nil) -> JSONValue {
        .object([
            "protocolVersion": .string(ProtocolEra.legacyVersion), "capabilities": capabilities ?? .object([:]),
            "clientInfo": clientInfo,
        ])
    }

    private static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"

    /// The broker's envelope, declaring `capabilities` (none when nil).
    private static func envelope(capabilities: JSONValue? = nil) -> JSONObject {
        [
            "io.modelcontextprotocol/protocolVersion": .string(ProtocolEra.modernVersion),
            "io.modelcontextprotocol/clientInfo": clientInfo,
            clientCapabilitiesKey: capabilities ?? .object([:]),
        ]
    }

    /// The capabilities a request's client may be asked about through `input_required`, which the client answers
    /// itself by retrying: what it declared among `elicitation`, `sampling` and `roots`.
    static func answerableCapabilities(of meta: JSONObject) -> JSONValue? {
        guard let declared = meta[clientCapabilitiesKey]?.objectValue else { return nil }
        var kept = JSONObject()
        for name in ["elicitation", "sampling", "roots"] {
            if let capability = declared[name], capability.objectValue != nil { kept[name] = capability }
        }
        return kept.isEmpty ? nil : .object(kept)
    }

    /// Whether a `server/discover` result says the server speaks the modern era.
    static func isModern(discoverResult: JSONValue) -> Bool {
        discoverResult["supportedVersions"]?.arrayValue?.contains(.string(ProtocolEra.modernVersion)) ?? false
    }

    /// Neutral params made ready for the upstream: the envelope added (modern) or any envelope keys removed (legacy).
    static func upstreamParams(_ params: JSONValue?, era: ProtocolEra) -> JSONValue? {
        var object = params?.objectValue ?? JSONObject()
        guard params == nil || params?.objectValue != nil else { return params }  // array params pass as they are
        var meta = object["_meta"]?.objectValue ?? JSONObject()
        // A 2026-07-28 client's own declaration, for the modern envelope: its `input_required` round trips pass
        // through the gateway, and a server asks only for what the request's client declared.
        let answerable = answerableCapabilities(of: meta)
        for key in meta.keys where key.hasPrefix(ProtocolEra.envelopePrefix) { meta[key] = nil }
        if era == .modern {
            for member in envelope(capabilities: answerable).members { meta[member.key] = member.value }
        }
        object["_meta"] = meta.isEmpty ? nil : .object(meta)
        return params == nil && object.isEmpty ? nil : .object(object)
    }

    /// An upstream's result in the neutral model: a complete result loses `resultType`, `ttlMs`, `cacheScope` and the
    /// envelope's `_meta` keys; anything else (`input_required`) keeps its `resultType` for the gateway to handle.
    static func neutralResult(_ result: JSONValue) -> JSONValue {
        guard var object = result.objectValue else { return result }
        if object["resultType"] == .string("complete") { object["resultType"] = nil }
        object["ttlMs"] = nil
        object["cacheScope"] = nil
        if var meta = object["_meta"]?.objectValue {
            for key in meta.keys where key.hasPrefix(ProtocolEra.envelopePrefix) { meta[key] = nil }
            object["_meta"] = meta.isEmpty ? nil : .object(meta)
        }
        return .object(object)
    }

    /// An upstream notification in the neutral model: the listen stream's subscription id is dropped.
    static func neutralNotificationParams(_ params: JSONValue?) -> JSONValue? {
        guard var object = params?.objectValue, var meta = object["_meta"]?.objectValue else { return params }
        for key in meta.keys where key.hasPrefix(ProtocolEra.envelopePrefix) { meta[key] = nil }
        object["_meta"] = meta.isEmpty ? nil : .object(meta)
        return object.isEmpty ? nil : .object(object)
    }

    /// The upstream's identity, capabilities and version, from a discover or initialize result.
    static func upstreamInfo(from result: JSONValue, era: ProtocolEra) -> UpstreamInfo {
        switch era {
        case .modern:
            UpstreamInfo(
                protocolVersion: ProtocolEra.modernVersion,
                serverInfo: result["_meta"]?["io.modelcontextprotocol/serverInfo"],
                capabilities: result["capabilities"], instructions: result["instructions"]?.stringValue)
        case .legacy:
            UpstreamInfo(
                protocolVersion: result["protocolVersion"]?.stringValue ?? ProtocolEra.legacyVersion,
                serverInfo: result["serverInfo"], capabilities: result["capabilities"],
                instructions: result["instructions"]?.stringValue)
        }
    }
}
