import MCPWire

/// What the broker has counted since it started, for the gateway's `/metrics`: how upstreams fared and how many
/// leases it granted. Names and counts only.
public struct BrokerStatistics: Sendable, Equatable {
    /// Counters of one (workspace, server): every upstream process or HTTP session made for it, shared or not.
    public struct Upstream: Sendable, Equatable {
        public let workspace: String
        public let server: String
        /// Processes spawned or HTTP sessions established.
        public var starts = 0
        /// Starts of an upstream that had run before (after a crash, a drain for new secrets, or an idle stop).
        public var restarts = 0
        /// Starts that failed, and processes that exited without being asked to.
        public var failures = 0
        /// Starts refused because the workspace held the most upstreams it may.
        public var refusals = 0
        /// OAuth tokens refreshed, and refreshes that failed (for now or for good).
        public var oauthRefreshes = 0
        public var oauthRefreshFailures = 0
        /// 1 while the server needs `sealgate oauth login`: its grant was refused, or it asks for one and has none.
        public var needsLogin = 0

        public init(
            workspace: String, server: String, starts: Int = 0, restarts: Int = 0, failures: Int = 0, refusals: Int = 0,
            oauthRefreshes: Int = 0, oauthRefreshFailures: Int = 0, needsLogin: Int = 0
        ) {
            (self.workspace, self.server) = (workspace, server)
            (self.starts, self.restarts, self.failures, self.refusals) = (starts, restarts, failures, refusals)
            (self.oauthRefreshes, self.oauthRefreshFailures, self.needsLogin) =
                (oauthRefreshes, oauthRefreshFailures, needsLogin)
        }
    }

    /// Lease counters of one workspace.
    public struct Leases: Sendable, Equatable {
        public let workspace: String
        /// Leases alive now.
        public var active = 0
        public var granted = 0
        public var expired = 0
        public var revoked = 0

        public init(workspace: String, active: Int = 0, granted: Int = 0, expired: Int = 0, revoked: Int = 0) {
            self.workspace = workspace
            (self.active, self.granted, self.expired, self.revoked) = (active, granted, expired, revoked)
        }
    }

    public var upstreams: [Upstream]
    public var leases: [Leases]
    /// Notifications and upstream requests not sent to a client because it had stopped reading (its connection
    /// held megabytes unread).
    public var droppedUnasked: Int

    public init(upstreams: [Upstream], leases: [Leases], droppedUnasked: Int = 0) {
        (self.upstreams, self.leases, self.droppedUnasked) = (upstreams, leases, droppedUnasked)
    }
}

extension BrokerStatistics {
    var json: JSONValue {
        .object([
            "upstreams": .array(
                upstreams.map {
                    .object([
                        "workspace": .string($0.workspace), "server": .string($0.server),
                        "starts": JSONValue($0.starts),
                        "restarts": JSONValue($0.restarts), "failures": JSONValue($0.failures),
                        "refusals": JSONValue($0.refusals), "oauthRefreshes": JSONValue($0.oauthRefreshes),
                        "oauthRefreshFailures": JSONValue($0.oauthRefreshFailures),
                        "needsLogin": JSONValue($0.needsLogin),
                    ])
                }),
            "leases": .array(
                leases.map {
                    .object([
                        "workspace": .string($0.workspace), "active": JSONValue($0.active),
                        "granted": JSONValue($0.granted), "expired": JSONValue($0.expired),
                        "revoked": JSONValue($0.revoked),
                    ])
                }),
            "droppedUnasked": JSONValue(droppedUnasked),
        ])
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        let upstreams = try f.objects("upstreams").map { (o) throws(BrokerProtocolError) -> Upstream in
            let f = Fields(o)
            return Upstream(
                workspace: try f.string("workspace"), server: try f.string("server"), starts: try f.count("starts"),
                restarts: try f.count("restarts"), failures: try f.count("failures"),
                // Optional on the wire: a broker from before the field refused nothing.
                refusals: o["refusals"] == nil ? 0 : try f.count("refusals"),
                // Optional on the wire, as above: a broker from before OAuth refreshed nothing.
                oauthRefreshes: o["oauthRefreshes"] == nil ? 0 : try f.count("oauthRefreshes"),
                oauthRefreshFailures: o["oauthRefreshFailures"] == nil ? 0 : try f.count("oauthRefreshFailures"),
                needsLogin: o["needsLogin"] == nil ? 0 : try f.count("needsLogin"))
        }
        let leases = try f.objects("leases").map { (o) throws(BrokerProtocolError) -> Leases in
            let f = Fields(o)
            return Leases(
                workspace: try f.string("workspace"), active: try f.count("active"), granted: try f.count("granted"),
                expired: try f.count("expired"), revoked: try f.count("revoked"))
        }
        // Optional on the wire: a broker from before the field counted nothing.
        let dropped = o["droppedUnasked"] == nil ? 0 : try f.count("droppedUnasked")
        self.init(upstreams: upstreams, leases: leases, droppedUnasked: dropped)
    }
}

extension Fields {
    /// A non-negative integer.
    func count(_ key: String) throws(BrokerProtocolError) -> Int {
        let value = try int(key)
        guard value >= 0 else { throw BrokerProtocolError(.malformedFrame, "'\(key)' must not be negative") }
        return value
    }
}
