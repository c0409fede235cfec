/// The calls of one tool by one caller in one minute: what the gateway counts, the broker stores and
/// `sealgate analytics` reads. Never an argument, a result, a token or a secret: only names, counts and times.
public struct UsageRecord: Sendable, Equatable {
    public var workspace: String
    public var server: String
    /// The tool's name on its server (not the namespaced `server__tool`).
    public var tool: String
    /// `workspace:NAME` for a workspace token, `client:NAME` for a client token.
    public var caller: String
    /// Minutes since the Unix epoch.
    public var minute: Int64
    public var calls: Int
    /// Calls answered with a JSON-RPC error or a tool error (`isError`).
    public var errors: Int
    public var latency: LatencyHistogram
    /// Milliseconds since the Unix epoch.
    public var lastUsedAt: Int64

    public init(
        workspace: String, server: String, tool: String, caller: String, minute: Int64, calls: Int, errors: Int,
        latency: LatencyHistogram, lastUsedAt: Int64
    ) {
        self.workspace = workspace
        self.server = server
        self.tool = tool
        self.caller = caller
        self.minute = minute
        self.calls = calls
        self.errors = errors
        self.latency = latency
        self.lastUsedAt = lastUsedAt
    }

    /// Counts one call, answered (`failed`: with an error) after `duration`, at `milliseconds` since the epoch.
    public mutating func count(_ duration: Duration, failed: Bool, at milliseconds: Int64) {
        calls += 1
        if failed { errors += 1 }
        latency.record(duration)
        lastUsedAt = max(lastUsedAt, milliseconds)
    }

    /// Adds `other`'s counts; the two are expected to share their key.
    public mutating func merge(_ other: UsageRecord) {
        calls += other.calls
        errors += other.errors
        latency.merge(other.latency)
        lastUsedAt = max(lastUsedAt, other.lastUsedAt)
    }
}
