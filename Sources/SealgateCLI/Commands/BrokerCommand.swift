import ArgumentParser
import Broker
import Dashboard
import Foundation
import Logging
import Vault

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the credential broker in the foreground: it holds the key and serves HOME/broker.sock.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BrokerOptions

    func run() async throws {
        let runtime = try BrokerRuntime(global: global, options: options)
        try await runtime.run {
            FileHandle.standardError.write(Data("Broker listening on \(runtime.socketPath)\n".utf8))
        }
    }
}

/// The broker's options, shared by `broker` and `serve`.
struct BrokerOptions: ParsableArguments {
    @Option(help: "The socket path (default: HOME/broker.sock).") var socket: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info
    @Option(help: "Lease lifetime unless renewed (default 15m).") var leaseTtl: DurationArgument?
    @Option(help: "How long a request may wait for its upstream (default 60s).") var requestTimeout: DurationArgument?
    @Option(help: "How long a starting upstream may take to answer its era probe and initialize (default 10s).")
    var handshakeTimeout: DurationArgument?
    @Option(help: "Stop an upstream after this long without traffic (default 10m).") var idleTimeout: DurationArgument?
    @Option(help: "First wait before restarting a crashed upstream; doubles per crash (default 100ms).")
    var restartBackoff: DurationArgument?
    @Option(help: "Upstream processes and HTTP sessions one workspace may hold at once (default 64).")
    var maxUpstreamsPerWorkspace: Int?
}

/// A broker ready to run: the vault opened (a passphrase asked once), the socket server made.
struct BrokerRuntime: Sendable {
    let broker: CredentialBroker
    let server: BrokerSocketServer
    let socketPath: String
    let logger: Logger
    /// The dashboard's own handle on the vault (audited as `dashboard`), when this process serves one.
    let dashboardVault: DashboardVault?

    init(global: GlobalOptions, options: BrokerOptions, dashboard: Bool = false) throws {
        var configuration = BrokerConfiguration()
        if let leaseTtl = options.leaseTtl { configuration.leaseTTL = leaseTtl.duration }
        if let requestTimeout = options.requestTimeout { configuration.requestTimeout = requestTimeout.duration }
        if let handshakeTimeout = options.handshakeTimeout {
            configuration.handshakeTimeout = handshakeTimeout.duration
        }
        if let idleTimeout = options.idleTimeout { configuration.idleTimeout = idleTimeout.duration }
        if let restartBackoff = options.restartBackoff { configuration.initialBackoff = restartBackoff.duration }
        if let limit = options.maxUpstreamsPerWorkspace {
            guard limit > 0 else {
                throw ValidationError("--max-upstreams-per-workspace must be at least 1")
            }
            configuration.maximumUpstreamsPerWorkspace = limit
        }
        logger = Logging.logger(label: "sealgate.broker", level: options.logLevel)
        // First, so that a report of anything that follows says which build it came from.
        logger.notice("\(Sealgate.version) starting")
        let home = global.vaultHome
        // A passphrase vault is asked once; the broker keeps the passphrase (in guarded memory) to reopen the vault
        // after another process rotates its master key.
        let passphrase: SecretValue? = SecretVault.needsPassphrase(home: home) ? try global.passphrase() : nil
        // The dashboard's own copy of the passphrase: the broker's handle and this one each reopen the vault on their own.
        let dashboardPassphrase = Self.copy(passphrase)
        broker = try CredentialBroker(configuration: configuration, logger: logger) {
            () throws(VaultError) -> SecretVault in
            try SecretVault.open(home: home, actor: "broker") { () throws(VaultError) -> SecretValue in
                guard let passphrase else { throw VaultError(.refused, "the vault needs a passphrase") }
                return passphrase
            }
        }
        dashboardVault =
            dashboard
            ? try DashboardVault {
                () throws(VaultError) -> SecretVault in
                try SecretVault.open(home: home, actor: "dashboard") { () throws(VaultError) -> SecretValue in
                    guard let dashboardPassphrase else { throw VaultError(.refused, "the vault needs a passphrase") }
                    return dashboardPassphrase
                }
            } : nil
        socketPath = options.socket ?? home.path + "/broker.sock"
        server = BrokerSocketServer(path: socketPath, broker: broker, logger: logger)
    }

    /// A copy in guarded memory of its own (a `sending` result: no region shared with the original).
    private static func copy(_ value: SecretValue?) -> sending SecretValue? {
        guard let value else { return nil }
        var bytes = value.withUnsafeBytes { [UInt8]($0) }  // plain bytes, so that the copy shares nothing
        defer { bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { explicit_bzero(base, $0.count) } } }
        return bytes.withUnsafeBytes { SecretValue(copying: $0) }
    }

    /// Runs the broker and its socket until SIGINT or SIGTERM (or a failure); `whenListening` runs alongside once the
    /// socket accepts connections (its end does not stop the broker).
    func run(whenListening: @escaping @Sendable () async -> Void) async throws {
        let signals = SignalWatcher([SIGINT, SIGTERM])
        let (listening, listened) = AsyncStream<Void>.makeStream()
        // Each child says whether its end ends the run.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await broker.run()
                return true
            }
            group.addTask {
                try await server.run { listened.finish() }
                return true
            }
            group.addTask {
                for await _ in listening {}  // finished when the socket listens, or when the run is cancelled
                if !Task.isCancelled { await whenListening() }
                return false
            }
            group.addTask {
                for await number in signals.signals {
                    logger.notice("stopping on signal \(number)")
                    ShutdownDeadline.arm(after: .seconds(10), logger: logger)
                    break
                }
                return true
            }
            while let ends = try await group.next(), !ends {}
            group.cancelAll()
            listened.finish()
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum Logging {
    /// A logger to stderr at `level`.
    static func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }
}
