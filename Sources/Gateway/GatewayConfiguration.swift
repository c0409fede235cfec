/// How the gateway runs.
public struct GatewayConfiguration: Sendable {
    /// The broker's Unix socket: the gateway's only way to upstreams, and all it knows of the vault.
    public var brokerSocket: String
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed when ready).
    public var port = 8787
    /// Request bodies above this get 413.
    public var maximumBodySize = 4 << 20
    /// Connections held at once, in all and per peer, and how long a connection may stall or idle.
    public var connectionLimits = ConnectionLimits()
    /// Host names, besides `localhost`, loopback addresses and `host`, that requests may name in `Host` (for a
    /// gateway reached under a DNS name). Any other `Host` is refused: the DNS-rebinding defence.
    public var allowedHostNames: [String] = []
    /// 2025-era sessions one token may hold at once. Each holds memory in the gateway and its own upstreams in the
    /// broker (which bounds those per workspace), so a token must not open them without end.
    public var maximumSessionsPerToken = Self.defaultMaximumSessionsPerToken
    public static let defaultMaximumSessionsPerToken = 1024
    /// How often leases are renewed and idle sessions swept.
    public var maintenanceInterval: Duration = .seconds(5)
    /// How often the streams of tokens that expired are ended (an expiry is the one change no snapshot announces), and
    /// stale token answers dropped from the cache.
    public var expiryCheckInterval: Duration = .seconds(1)
    /// How often tool-call counts go to the broker for the vault's analytics.
    public var usageFlushInterval: Duration = .seconds(1)
    /// A bearer token that lets peers other than loopback read `/metrics` (loopback peers need none).
    public var metricsToken: String?

    public init(brokerSocket: String) {
        self.brokerSocket = brokerSocket
    }
}
