import Glibc
import HostTrust
import Hummingbird
import Logging
import NIOCore
import Synchronization
import Vault

/// The web dashboard: its own HTTP listener (loopback by default), in the process that holds the key (`serve`),
/// never the gateway's. Pages are rendered here from the vault; the only way in is a one-time link.
public struct DashboardServer: Sendable {
    public static let defaultPort = 8789
    static let maximumBodySize = 64 << 10

    let host: String
    let port: Int
    let vault: DashboardVault
    let sessions: DashboardSessions
    let gateway: @Sendable () -> String?
    let broker: any BrokerView
    let logger: Logger

    /// `gateway` gives the gateway's base URL once it listens (for the MCP URLs the pages show).
    public init(
        host: String, port: Int, vault: DashboardVault, broker: any BrokerView, logger: Logger,
        gateway: @escaping @Sendable () -> String? = { nil }
    ) {
        self.init(
            host: host, port: port, vault: vault, sessions: DashboardSessions(), broker: broker, logger: logger,
            gateway: gateway)
    }

    init(
        host: String, port: Int, vault: DashboardVault, sessions: DashboardSessions,
        broker: any BrokerView = NoBroker(),
        logger: Logger, gateway: @escaping @Sendable () -> String?
    ) {
        (self.host, self.port, self.vault, self.sessions, self.broker, self.logger, self.gateway) = (
            host, port, vault, sessions, broker, logger, gateway
        )
    }

    /// The routes and their guards, outermost first.
    func router() -> Router<DashboardContext> {
        let router = Router(context: DashboardContext.self)
        router.add(middleware: SecurityHeaders(logger: logger))
        router.add(middleware: HostGuard(hosts: AllowedHosts(listenHost: host)))
        router.add(middleware: OwnUserGuard(uid: getuid()))
        router.add(middleware: SessionGuard(sessions: sessions))
        SessionRoutes(vault: vault, sessions: sessions, secure: false).add(to: router)
        PageRoutes(vault: vault, sessions: sessions, gateway: gateway, broker: broker).add(to: router)
        return router
    }

    func application(onListening: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: Self.frameworkLogger(logger))
    }

    /// Hummingbird's own logger: critical messages only. It reports the cancellation that stops `serve` as an
    /// error ("Waiting on child channel: CancellationError"), on every Ctrl-C; what a request did wrong, the
    /// dashboard logs itself (`SecurityHeaders`).
    static func frameworkLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = .critical
        return quiet
    }

    /// Serves until cancelled; `onListening` is told the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        try await application(onListening: onListening).run()
    }

    /// The address a browser opens.
    public static func baseURL(host: String, port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// Whether the dashboard may listen on `host`: loopback only (127.0.0.0/8, ::1). It serves plain HTTP and
    /// admits its own user's connections only, which only this machine's sockets can show.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard let bytes = AllowedHosts.address(bare) else { return false }
        return (bytes.count == 4 && bytes[0] == 127) || bytes == Array(repeating: 0, count: 15) + [1]
    }
}
