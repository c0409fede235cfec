/// Timeouts and limits of the broker. The defaults are the contract's; tests shorten them.
public struct BrokerConfiguration: Sendable {
    /// How long a lease lives unless renewed.
    public var leaseTTL: Duration = .seconds(15 * 60)
    /// How long a request may wait for its upstream before it fails and is cancelled upstream.
    public var requestTimeout: Duration = .seconds(60)
    /// How long the era probe (`server/discover`) and `initialize` may take.
    public var handshakeTimeout: Duration = .seconds(10)
    /// An upstream with no traffic for this long is stopped; it starts again on the next request.
    public var idleTimeout: Duration = .seconds(10 * 60)
    /// First wait before restarting a crashed upstream; doubles per crash in a row, up to `maximumBackoff`.
    public var initialBackoff: Duration = .milliseconds(100)
    public var maximumBackoff: Duration = .seconds(10)
    /// How long a stopping upstream gets after stdin closes before SIGTERM, and after SIGTERM before SIGKILL.
    public var stopGrace: Duration = .milliseconds(500)
    /// How often the vault is checked for changes (generation) and leases, request deadlines and idle upstreams are
    /// swept; timeouts and expiries fire up to this much late.
    public var pollInterval: Duration = .milliseconds(100)
    /// Upstreams (stdio processes and HTTP sessions) one workspace may hold at once: every 2025-era client session
    /// gets its own (of each server not shared), and each start decrypts secrets and writes an audit entry. A channel
    /// that would need one more is refused, and counted.
    public var maximumUpstreamsPerWorkspace = 64

    public init() {}
}
