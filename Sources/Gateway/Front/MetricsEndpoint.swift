import NIOHTTP1

extension Front {
    /// `GET /metrics`: Prometheus text. Served to loopback peers, and to others only with the metrics token, so a
    /// gateway listening on all interfaces does not publish its workspaces' names and traffic.
    func serveMetrics(_ request: HTTPRequest) async -> HTTPAnswer {
        guard request.method == .GET else { return .text(.methodNotAllowed, headers: ["Allow": "GET"]) }
        if let refusal = checkOrigin(request) { return refusal }
        guard Self.mayReadMetrics(peer: request.peer, bearer: request.bearerToken, metricsToken: metricsToken) else {
            return .text(
                .forbidden, "metrics are served to loopback peers, or with the token in SEALGATE_METRICS_TOKEN\n")
        }
        let body = metrics.exposition(activeSessions: subscribers.countByEra(), broker: await broker.statistics())
        return .full(.ok, ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body)
    }

    /// Loopback peers may; others only with a bearer equal to the metrics token (compared in constant time).
    static func mayReadMetrics(peer: String, bearer: String?, metricsToken: String?) -> Bool {
        if peer == "::1" || peer.hasPrefix("127.") || peer.hasPrefix("::ffff:127.") { return true }
        guard let metricsToken, !metricsToken.isEmpty, let bearer else { return false }
        let (a, b) = (Array(bearer.utf8), Array(metricsToken.utf8))
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
