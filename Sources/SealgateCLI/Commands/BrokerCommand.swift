import ArgumentParser
import Broker
import Foundation
import Logging
import Vault

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run the credential broker in the foreground: it holds the key and serves HOME/broker.sock.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The socket path (default: HOME/broker.sock).") var socket: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info
    @Option(help: "Lease lifetime unless renewed (default 15m).") var leaseTtl: DurationArgument?
    @Option(help: "How long a request may wait for its upstream (default 60s).") var requestTimeout: DurationArgument?
    @Option(help: "Stop an upstream after this long without traffic (default 10m).") var idleTimeout: DurationArgument?
    @Option(help: "First wait before restarting a crashed upstream; doubles per crash (default 100ms).")
    var restartBackoff: DurationArgument?

    func run() async throws {
        var configuration = BrokerConfiguration()
        if let leaseTtl { configuration.leaseTTL = leaseTtl.duration }
        if let requestTimeout { configuration.requestTimeout = requestTimeout.duration }
        if let idleTimeout { configuration.idleTimeout = idleTimeout.duration }
        if let restartBackoff { configuration.initialBackoff = restartBackoff.duration }
        let logger = Logging.logger(label: "sealgate.broker", level: logLevel)
        let home = global.vaultHome
        // A passphrase vault is asked once; the broker keeps the passphrase (in guarded memory) to reopen the vault
        // after another process rotates its master key.
        let passphrase: SecretValue? = SecretVault.needsPassphrase(home: home) ? try global.passphrase() : nil
        let broker = try CredentialBroker(configuration: configuration, logger: logger) {
            () throws(VaultError) -> SecretVault in
            try SecretVault.open(home: home, actor: "broker") { () throws(VaultError) -> SecretValue in
                guard let passphrase else { throw VaultError(.refused, "the vault needs a passphrase") }
                return passphrase
            }
        }
        let path = socket ?? home.path + "/broker.sock"
        let server = BrokerSocketServer(path: path, broker: broker, logger: logger)
        let signals = SignalWatcher([SIGINT, SIGTERM])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await broker.run() }
            group.addTask {
                try await server.run {
                    FileHandle.standardError.write(Data("Broker listening on \(path)\n".utf8))
                }
            }
            group.addTask {
                for await number in signals.signals {
                    logger.notice("stopping on signal \(number)")
                    return
                }
            }
            try await group.next()
            group.cancelAll()
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
