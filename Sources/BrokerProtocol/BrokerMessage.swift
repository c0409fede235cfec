import Analytics
import MCPWire

/// Everything said on the broker socket. The protocol is documented in docs/broker-protocol.md.
///
/// MCP traffic travels in the era-neutral model: a request is its method and params without the 2026-07-28
/// envelope (`params._meta["io.modelcontextprotocol/…"]`), and a result carries no `resultType`, `ttlMs` or
/// `cacheScope` when it is complete. The gateway adapts each client's era to this; the broker adapts each upstream's.
public enum BrokerMessage: Sendable, Equatable {
    // Client (gateway or tool) to broker.
    case hello(protocolVersion: Int, client: String)
    /// `clientCapabilities`: what the upstream may ask the client (`elicitation`, `sampling`, `roots`), declared in
    /// the handshake of an upstream this open starts for its session; nil declares nothing.
    case open(ref: String, workspace: String, server: String, session: String, clientCapabilities: JSONValue? = nil)
    case request(channel: Int, id: RequestID, method: String, params: JSONValue?)
    case notify(channel: Int, method: String, params: JSONValue?)
    case reply(channel: Int, id: RequestID, outcome: Outcome)
    case renew(ref: String, lease: String)
    case close(channel: Int)
    case listLeases(ref: String)
    case revokeLease(ref: String, lease: String)
    /// Checks a bearer token presented to the gateway (the gateway cannot: the hash key never leaves the vault).
    case authenticate(ref: String, token: String)
    /// Tool-call counts the gateway gathered since its last report, for the vault's analytics. No answer.
    case usage([UsageRecord])
    /// Asks for the broker's counters (upstream starts and failures, leases), for the gateway's `/metrics`.
    case stats(ref: String)

    // Broker to client.
    case welcome(protocolVersion: Int, broker: String)
    case snapshot(ConfigSnapshot)
    case opened(ref: String, channel: Int, lease: LeaseInfo, upstream: UpstreamInfo)
    case response(channel: Int, id: RequestID, outcome: Outcome)
    case notification(channel: Int, method: String, params: JSONValue?)
    case upstreamRequest(channel: Int, id: RequestID, method: String, params: JSONValue?)
    case renewed(ref: String, lease: LeaseInfo)
    case closed(channel: Int, reason: String)
    case leases(ref: String, [LeaseInfo])
    case authenticated(ref: String, AuthenticatedToken)
    case revoked(ref: String, lease: String)
    case statistics(ref: String, BrokerStatistics)
    /// A refusal or a malformed frame. `ref`/`channel` name what it answers when known.
    case failure(ref: String?, channel: Int?, code: FailureCode, message: String)

    public static let protocolVersion = 2
}

/// The answer to an MCP request: a result or a JSON-RPC error.
public enum Outcome: Sendable, Equatable {
    case result(JSONValue)
    case error(JSONRPCError)
}

/// Why the broker refused something. Stable strings on the wire.
public enum FailureCode: String, Sendable, Equatable {
    case malformedFrame = "malformed_frame"
    case unknownMessage = "unknown_message"
    case notFound = "not_found"
    case refused
    case integrity
    case upstreamFailed = "upstream_failed"
    case internalError = "internal"
}

/// Who a valid token belongs to and what it may reach.
public struct AuthenticatedToken: Sendable, Equatable {
    /// `workspace` or `client`.
    public let kind: String
    public let name: String
    /// The workspace of a workspace token; nil for a client.
    public let workspace: String?
    /// A workspace token's FeatureSets (empty: `all`).
    public let featureSets: [String]
    /// A client's grants: workspace slug → FeatureSet names.
    public let grants: [String: [String]]
    /// Milliseconds since the epoch, or nil.
    public let expiresAt: Int64?
    /// The token's keyed hash as the configuration snapshot lists it. A name can pass from a revoked token to a new
    /// one, so the gateway grants this token only what a snapshot listing this very hash grants.
    public let hash: String

    public init(
        kind: String, name: String, workspace: String?, featureSets: [String], grants: [String: [String]],
        expiresAt: Int64?, hash: String
    ) {
        (self.kind, self.name, self.workspace, self.featureSets, self.grants, self.expiresAt, self.hash) = (
            kind, name, workspace, featureSets, grants, expiresAt, hash
        )
    }
}

/// A lease: a short-lived injection for (workspace, server, session).
public struct LeaseInfo: Sendable, Equatable {
    public let id: String
    public let workspace: String
    public let server: String
    public let session: String
    /// Milliseconds since the Unix epoch.
    public let expiresAt: Int64

    public init(id: String, workspace: String, server: String, session: String, expiresAt: Int64) {
        (self.id, self.workspace, self.server, self.session, self.expiresAt) = (
            id, workspace, server, session, expiresAt
        )
    }
}

/// What the gateway learns about an opened upstream (never how it was reached or with what).
public struct UpstreamInfo: Sendable, Equatable {
    /// `2026-07-28` or the negotiated legacy version.
    public let protocolVersion: String
    public let serverInfo: JSONValue?
    public let capabilities: JSONValue?
    public let instructions: String?

    public init(protocolVersion: String, serverInfo: JSONValue?, capabilities: JSONValue?, instructions: String?) {
        self.protocolVersion = protocolVersion
        self.serverInfo = serverInfo
        self.capabilities = capabilities
        self.instructions = instructions
    }
}
