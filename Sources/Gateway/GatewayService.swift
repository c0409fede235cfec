import BrokerProtocol
import Logging
import MCPWire

/// The gateway process: one MCP endpoint per workspace over HTTP, reaching upstreams only through the broker.
/// It holds no key, no vault path and never a decrypted secret; it knows the broker socket and nothing else.
public struct GatewayService: Sendable {
    let configuration: GatewayConfiguration
    let logger: Logger

    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Serves until cancelled. `ready` gets the bound port once the listener accepts connections.
    public func run(ready: @escaping @Sendable (Int) -> Void) async throws {
        let broker = BrokerAccess()
        let sessions = SessionTable(maximumPerToken: configuration.maximumSessionsPerToken)
        let pool = ChannelPool(broker: broker) { sessions.session(brokerSession: $0)?.clientRequests.capabilities }
        let progress = ProgressRelay()
        let caller = UpstreamCaller(broker: broker, pool: pool, progress: progress)
        let subscribers = Subscribers()
        let usage = UsageRecorder()
        let connections = ConnectionTable(limits: configuration.connectionLimits)
        let metrics = GatewayMetrics(openConnections: { connections.count })
        let authenticator = Authenticator(broker: broker)
        let front = Front(
            broker: broker, authenticator: authenticator,
            dispatcher: Dispatcher(catalog: Catalog(caller: caller), usage: usage, metrics: metrics),
            subscribers: subscribers, sessions: sessions, pool: pool, metrics: metrics,
            metricsToken: configuration.metricsToken,
            hostCheck: HostCheck(listenHost: configuration.host, names: configuration.allowedHostNames), logger: logger)
        let events = BrokerEvents(
            broker: broker, pool: pool, progress: progress, subscribers: subscribers, front: front, logger: logger)
        let server = HTTPServer(
            host: configuration.host, port: configuration.port, maximumBodySize: configuration.maximumBodySize,
            connections: connections, logger: logger, onEvent: { metrics.connection($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await events.stayConnected(to: configuration.brokerSocket) }
            group.addTask {
                try await server.run(
                    respond: { await front.respond($0) }, admit: { await front.admit($0) }, ready: ready)
            }
            group.addTask {
                defer { _ = usage.flush(to: broker) }  // what was counted since the last flush, when stopping
                while !Task.isCancelled {
                    try await Task.sleep(for: configuration.usageFlushInterval)
                    let (_, dropped) = usage.flush(to: broker)
                    if dropped > 0 {
                        logger.warning(
                            "analytics dropped calls: too many distinct tools and callers",
                            metadata: ["calls": "\(dropped)"])
                    }
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: configuration.expiryCheckInterval)
                    subscribers.endExpired()
                    authenticator.forgetStale()
                }
            }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(for: configuration.maintenanceInterval)
                    for session in sessions.expire() { front.finish(session) }
                    await pool.renewDue(liveSessions: sessions.brokerSessions)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
