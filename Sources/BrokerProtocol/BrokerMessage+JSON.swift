import Analytics
import MCPWire

/// A frame that is JSON but not a valid message.
public struct BrokerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: FailureCode
    public let message: String
    public var description: String { message }

    init(_ code: FailureCode, _ message: String) {
        (self.code, self.message) = (code, message)
    }
}

extension BrokerMessage {
    /// The frame's JSON object.
    public var json: JSONObject {
        var o = JSONObject()
        switch self {
        case .hello(let version, let client):
            o["type"] = "hello"; o["protocol"] = JSONValue(version); o["client"] = .string(client)
        case .open(let ref, let workspace, let server, let session, let clientCapabilities):
            o["type"] = "open"; o["ref"] = .string(ref); o["workspace"] = .string(workspace)
            o["server"] = .string(server); o["session"] = .string(session)
            if let clientCapabilities { o["clientCapabilities"] = clientCapabilities }
        case .request(let channel, let id, let method, let params):
            o["type"] = "request"; o["channel"] = JSONValue(channel); o["id"] = id.json; o["method"] = .string(method)
            if let params { o["params"] = params }
        case .notify(let channel, let method, let params):
            o["type"] = "notify"; o["channel"] = JSONValue(channel); o["method"] = .string(method)
            if let params { o["params"] = params }
        case .reply(let channel, let id, let outcome):
            o["type"] = "reply"; o["channel"] = JSONValue(channel); o["id"] = id.json
            outcome.write(to: &o)
        case .renew(let ref, let lease):
            o["type"] = "renew"; o["ref"] = .string(ref); o["lease"] = .string(lease)
        case .close(let channel):
            o["type"] = "close"; o["channel"] = JSONValue(channel)
        case .listLeases(let ref):
            o["type"] = "list_leases"; o["ref"] = .string(ref)
        case .authenticate(let ref, let token):
            o["type"] = "authenticate"
            o["ref"] = .string(ref)
            o["token"] = .string(token)
        case .authenticated(let ref, let token):
            o["type"] = "authenticated"
            o["ref"] = .string(ref)
            o["token"] = token.json
        case .revokeLease(let ref, let lease):
            o["type"] = "revoke_lease"; o["ref"] = .string(ref); o["lease"] = .string(lease)
        case .usage(let records):
            o["type"] = "usage"; o["records"] = .array(records.map { .object($0.json) })
        case .stats(let ref):
            o["type"] = "stats"; o["ref"] = .string(ref)
        case .statistics(let ref, let statistics):
            o["type"] = "statistics"; o["ref"] = .string(ref); o["statistics"] = statistics.json
        case .welcome(let version, let broker):
            o["type"] = "welcome"; o["protocol"] = JSONValue(version); o["broker"] = .string(broker)
        case .snapshot(let snapshot):
            o["type"] = "snapshot"; o["snapshot"] = snapshot.json
        case .opened(let ref, let channel, let lease, let upstream):
            o["type"] = "opened"; o["ref"] = .string(ref); o["channel"] = JSONValue(channel)
            o["lease"] = lease.json; o["upstream"] = upstream.json
        case .response(let channel, let id, let outcome):
            o["type"] = "response"; o["channel"] = JSONValue(channel); o["id"] = id.json
            outcome.write(to: &o)
        case .notification(let channel, let method, let params):
            o["type"] = "notification"; o["channel"] = JSONValue(channel); o["method"] = .string(method)
            if let params { o["params"] = params }
        case .upstreamRequest(let channel, let id, let method, let params):
            o["type"] = "upstream_request"; o["channel"] = JSONValue(channel); o["id"] = id.json
            o["method"] = .string(method)
            if let params { o["params"] = params }
        case .renewed(let ref, let lease):
            o["type"] = "renewed"; o["ref"] = .string(ref); o["lease"] = lease.json
        case .closed(let channel, let reason):
            o["type"] = "closed"; o["channel"] = JSONValue(channel); o["reason"] = .string(reason)
        case .leases(let ref, let leases):
            o["type"] = "leases"; o["ref"] = .string(ref); o["leases"] = .array(leases.map(\.json))
        case .revoked(let ref, let lease):
            o["type"] = "revoked"; o["ref"] = .string(ref); o["lease"] = .string(lease)
        case .failure(let ref, let channel, let code, let message):
            o["type"] = "error"
            if let ref { o["ref"] = .string(ref) }
            if let channel { o["channel"] = JSONValue(channel) }
            o["code"] = .string(code.rawValue); o["message"] = .string(message)
        }
        return o
    }

    public var frame: [UInt8] { FrameDecoder.encode(json) }

    /// Reads a message from a frame's object; a wrong shape is a `BrokerProtocolError` naming the field.
    public init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        switch try f.string("type") {
        case "hello": self = .hello(protocolVersion: try f.int("protocol"), client: try f.string("client"))
        case "open":
            self = .open(
                ref: try f.string("ref"), workspace: try f.string("workspace"), server: try f.string("server"),
                session: try f.string("session"), clientCapabilities: o["clientCapabilities"])
        case "request":
            self = .request(
                channel: try f.int("channel"), id: try f.id(), method: try f.string("method"), params: o["params"])
        case "notify":
            self = .notify(channel: try f.int("channel"), method: try f.string("method"), params: o["params"])
        case "reply": self = .reply(channel: try f.int("channel"), id: try f.id(), outcome: try f.outcome())
        case "renew": self = .renew(ref: try f.string("ref"), lease: try f.string("lease"))
        case "close": self = .close(channel: try f.int("channel"))
        case "list_leases": self = .listLeases(ref: try f.string("ref"))
        case "revoke_lease": self = .revokeLease(ref: try f.string("ref"), lease: try f.string("lease"))
        case "authenticate": self = .authenticate(ref: try f.string("ref"), token: try f.string("token"))
        case "usage":
            self = .usage(try f.objects("records").map { (o) throws(BrokerProtocolError) in try UsageRecord(o) })
        case "stats": self = .stats(ref: try f.string("ref"))
        case "statistics":
            self = .statistics(ref: try f.string("ref"), try BrokerStatistics(try f.object("statistics")))
        case "authenticated":
            self = .authenticated(ref: try f.string("ref"), try AuthenticatedToken(try f.object("token")))
        case "welcome": self = .welcome(protocolVersion: try f.int("protocol"), broker: try f.string("broker"))
        case "snapshot": self = .snapshot(try ConfigSnapshot(try f.object("snapshot")))
        case "opened":
            self = .opened(
                ref: try f.string("ref"), channel: try f.int("channel"), lease: try LeaseInfo(try f.object("lease")),
                upstream: try UpstreamInfo(try f.object("upstream")))
        case "response": self = .response(channel: try f.int("channel"), id: try f.id(), outcome: try f.outcome())
        case "notification":
            self = .notification(channel: try f.int("channel"), method: try f.string("method"), params: o["params"])
        case "upstream_request":
            self = .upstreamRequest(
                channel: try f.int("channel"), id: try f.id(), method: try f.string("method"), params: o["params"])
        case "renewed": self = .renewed(ref: try f.string("ref"), lease: try LeaseInfo(try f.object("lease")))
        case "closed": self = .closed(channel: try f.int("channel"), reason: try f.string("reason"))
        case "leases":
            let list = try f.objects("leases").map { (o) throws(BrokerProtocolError) in try LeaseInfo(o) }
            self = .leases(ref: try f.string("ref"), list)
        case "revoked": self = .revoked(ref: try f.string("ref"), lease: try f.string("lease"))
        case "error":
            guard let code = FailureCode(rawValue: try f.string("code")) else {
                throw BrokerProtocolError(.malformedFrame, "unknown error code")
            }
            self = .failure(
                ref: o["ref"]?.stringValue, channel: o["channel"]?.intValue, code: code,
                message: try f.string("message"))
        case let other:
            throw BrokerProtocolError(.unknownMessage, "unknown message type '\(other.prefix(40))'")
        }
    }
}

/// Typed access to a frame's fields with precise errors.
struct Fields {
    let o: JSONObject
    init(_ o: JSONObject) { self.o = o }

    func string(_ key: String) throws(BrokerProtocolError) -> String {
        guard let value = o[key]?.stringValue else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be a string")
        }
        return value
    }

    func int(_ key: String) throws(BrokerProtocolError) -> Int {
        guard let value = o[key]?.intValue else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be an integer")
        }
        return value
    }

    func int64(_ key: String) throws(BrokerProtocolError) -> Int64 {
        guard case .number(let lexeme) = o[key], let value = Int64(lexeme) else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be an integer")
        }
        return value
    }

    func bool(_ key: String) throws(BrokerProtocolError) -> Bool {
        guard let value = o[key]?.boolValue else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be a boolean")
        }
        return value
    }

    func object(_ key: String) throws(BrokerProtocolError) -> JSONObject {
        guard let value = o[key]?.objectValue else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be an object")
        }
        return value
    }

    func array(_ key: String) throws(BrokerProtocolError) -> [JSONValue] {
        guard let value = o[key]?.arrayValue else {
            throw BrokerProtocolError(.malformedFrame, "'\(key)' must be an array")
        }
        return value
    }

    func objects(_ key: String) throws(BrokerProtocolError) -> [JSONObject] {
        try array(key).map { (value) throws(BrokerProtocolError) -> JSONObject in
            guard let object = value.objectValue else {
                throw BrokerProtocolError(.malformedFrame, "\(key)[] must hold objects")
            }
            return object
        }
    }

    func strings(_ key: String) throws(BrokerProtocolError) -> [String] {
        try array(key).map { (value) throws(BrokerProtocolError) -> String in
            guard let s = value.stringValue else {
                throw BrokerProtocolError(.malformedFrame, "'\(key)' must hold strings")
            }
            return s
        }
    }

    func id() throws(BrokerProtocolError) -> RequestID {
        switch o["id"] {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        default: throw BrokerProtocolError(.malformedFrame, "'id' must be a string or a number")
        }
    }

    func outcome() throws(BrokerProtocolError) -> Outcome {
        if let result = o["result"], o["error"] == nil { return .result(result) }
        guard let error = o["error"], let code = error["code"]?.intValue, let message = error["message"]?.stringValue,
            o["result"] == nil
        else { throw BrokerProtocolError(.malformedFrame, "exactly one of 'result' or a valid 'error' is required") }
        return .error(JSONRPCError(code: code, message: message, data: error["data"]))
    }
}

extension Outcome {
    func write(to o: inout JSONObject) {
        switch self {
        case .result(let result): o["result"] = result
        case .error(let error): o["error"] = error.json
        }
    }
}

extension LeaseInfo {
    public var json: JSONValue {
        .object([
            "id": .string(id), "workspace": .string(workspace), "server": .string(server), "session": .string(session),
            "expiresAt": .number(String(expiresAt)),
        ])
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        self.init(
            id: try f.string("id"), workspace: try f.string("workspace"), server: try f.string("server"),
            session: try f.string("session"), expiresAt: try f.int64("expiresAt"))
    }
}

extension UpstreamInfo {
    var json: JSONValue {
        var o: JSONObject = ["protocolVersion": .string(protocolVersion)]
        if let serverInfo { o["serverInfo"] = serverInfo }
        if let capabilities { o["capabilities"] = capabilities }
        if let instructions { o["instructions"] = .string(instructions) }
        return .object(o)
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        self.init(
            protocolVersion: try Fields(o).string("protocolVersion"), serverInfo: o["serverInfo"],
            capabilities: o["capabilities"], instructions: o["instructions"]?.stringValue)
    }
}

extension AuthenticatedToken {
    var json: JSONValue {
        var grantsObject = JSONObject()
        for workspace in grants.keys.sorted() {
            grantsObject[workspace] = .array(grants[workspace]!.map(JSONValue.string))
        }
        return .object([
            "kind": .string(kind), "name": .string(name), "workspace": workspace.map(JSONValue.string) ?? .null,
            "featureSets": .array(featureSets.map(JSONValue.string)), "grants": .object(grantsObject),
            "expiresAt": expiresAt.map { .number(String($0)) } ?? .null, "hash": .string(hash),
        ])
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        var grants: [String: [String]] = [:]
        for member in try f.object("grants").members {
            grants[member.key] = try Fields(["g": member.value]).strings("g")
        }
        let expires: Int64? = o["expiresAt"] == nil || o["expiresAt"] == .null ? nil : try f.int64("expiresAt")
        self.init(
            kind: try f.string("kind"), name: try f.string("name"), workspace: o["workspace"]?.stringValue,
            featureSets: try f.strings("featureSets"), grants: grants, expiresAt: expires, hash: try f.string("hash"))
    }
}
