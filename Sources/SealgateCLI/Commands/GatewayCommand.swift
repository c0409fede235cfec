import ArgumentParser
import Broker
import Foundation
import Gateway
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// `sealgate gateway`: the MCP gateway process. `serve` starts it; it gets the broker's socket and nothing else
/// (no key, no passphrase, no vault path).
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the MCP gateway (started by `sealgate serve`); it reaches upstreams only through the broker.")

    @Option(help: "The broker's socket.") var brokerSocket: String
    @Option(help: "Where to listen (HOST:PORT; port 0 picks a free one).") var listen: ListenAddress = .default
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info
    @Option(help: "2025-era sessions one token may hold at once (default 1024).") var maxSessionsPerToken: Int?

    func run() async throws {
        // Tasks then run on the event loop that woke them (a request's read, its broker answer, its write) instead
        // of hopping to Swift's own thread pool and back. Safe here: nothing in the gateway blocks a thread.
        NIOSingletons.groupLoopCountSuggestion = 1
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var configuration = GatewayConfiguration(brokerSocket: brokerSocket)
        configuration.host = listen.host
        configuration.port = listen.port
        configuration.metricsToken = ProcessInfo.processInfo.environment["SEALGATE_METRICS_TOKEN"]
        if let limit = maxSessionsPerToken {
            guard limit > 0 else { throw ValidationError("--max-sessions-per-token must be at least 1") }
            configuration.maximumSessionsPerToken = limit
        }
        let logger = Logging.logger(label: "sealgate.gateway", level: logLevel)
        let service = GatewayService(configuration: configuration, logger: logger)
        let signals = SignalWatcher([SIGINT, SIGTERM])
        let (host, address) = (listen.host, listen)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let listening = Atomic<Bool>(false)
                do {
                    try await service.run { port in
                        listening.store(true, ordering: .relaxed)
                        // The first line on stdout tells `serve` (and tests) the bound port.
                        FileHandle.standardOutput.write(Data("LISTENING \(port)\n".utf8))
                        logger.notice("gateway listening on http://\(host):\(port)")
                    }
                } catch {
                    // Before it listened, only the bind can have failed: say where, and what to do.
                    if !listening.load(ordering: .relaxed) { throw ListenCheck.failure(error, address: address) }
                    throw error
                }
            }
            group.addTask {
                // Started by `serve`: when `serve` dies without stopping us (SIGKILL), we are reparented; then the
                // port and the broker socket are gone with it, so stop rather than linger.
                let parent = getppid()
                while getppid() == parent { try await Task.sleep(for: .milliseconds(500)) }
                logger.notice("the parent process ended; stopping")
            }
            group.addTask {
                for await number in signals.signals {
                    logger.notice("stopping on signal \(number)")
                    ShutdownDeadline.arm(after: .seconds(10), logger: logger)
                    return
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
