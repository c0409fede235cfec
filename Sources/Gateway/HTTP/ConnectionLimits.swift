/// How many connections the gateway holds and how long it waits for a client that sends nothing useful.
///
/// The limits apply before authentication: they bound what a peer without a token can make the gateway hold.
/// Nothing here ends a connection while its answer is being produced or written (a long tool call, an event
/// stream), however long that takes.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections open at once, from every peer together; a connection past it is answered 503 and closed.
    public var maximumConnections = 4096
    /// Connections open at once from one peer (an IPv4 address, or an IPv6 /64); past it, 503 and closed. All local
    /// clients share the address of the loopback interface they use, so this is also their total.
    public var maximumConnectionsPerPeer = 2048
    /// The largest head a request may have, its header lines together (and any one of them); past it, 400 and
    /// closed. MCP requests carry a few short headers; NIO's own default is 80 KiB.
    public var maximumHeadSize = 32 << 10
    /// How long a request's head may take to arrive, from the connection's start or the request's first byte; a
    /// connection that stalls in a head longer is closed.
    public var headTimeout: Duration = .seconds(10)
    /// How long a connection may sit with no request in progress and no answer being written, and the longest
    /// pause inside a request's body; then it is closed. Longer than the idle time of common clients' connection
    /// pools (AsyncHTTPClient 60 s, libcurl 118 s), so that they close an idle connection first.
    public var idleTimeout: Duration = .seconds(120)

    public init() {}
}
