import Foundation
import Logging
import Subprocess
import Synchronization
import SystemPackage

/// The `sealgate gateway` child of `serve`: started with the broker's socket and a scrubbed environment, restarted
/// when it dies, stopped (SIGTERM, then SIGKILL) when `serve` stops.
struct GatewayChild: Sendable {
    /// Wait before starting a gateway that died again; short, so clients barely notice.
    static let restartDelay: Duration = .milliseconds(100)
    /// The only variables the gateway inherits: never a passphrase or anything else of `serve`'s environment.
    static let inherited = [
        "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME", "SEALGATE_METRICS_TOKEN",
    ]

    let socketPath: String
    let listen: ListenAddress
    let logLevel: Logger.Level
    /// Passed on as `--max-sessions-per-token` when set.
    let maxSessionsPerToken: Int?
    let logger: Logger

    /// Runs the gateway until cancelled, restarting it when it exits. `ready` gets the port each time it listens.
    func supervise(ready: @escaping @Sendable (Int) -> Void) async {
        var port = listen.port
        var delay = Self.restartDelay
        while !Task.isCancelled {
            let started = ContinuousClock.Instant.now
            let arguments =
                [
                    "gateway", "--broker-socket", socketPath, "--listen", "\(listen.host):\(port)", "--log-level",
                    logLevel.rawValue,
                ] + (maxSessionsPerToken.map { ["--max-sessions-per-token", "\($0)"] } ?? [])
            let bound = PortBox()
            let outcome = await run(arguments: arguments) { listening in
                bound.port = listening
                ready(listening)
            }
            if let listening = bound.port { port = listening }  // a restart keeps the URL clients already have
            if Task.isCancelled { return }
            // One that keeps dying at once (a port in use, say) is retried ever more slowly, up to every 5 s.
            delay =
                ContinuousClock.Instant.now - started < .seconds(2) ? min(delay * 2, .seconds(5)) : Self.restartDelay
            logger.warning("the gateway exited (\(outcome)); restarting it in \(delay)")
            try? await Task.sleep(for: delay)  // cancelled: the loop ends
        }
    }

    /// What the gateway is started with: the allow-listed variables of `serve`'s own environment, as strings that
    /// swift-subprocess turns into NUL-terminated rows itself. (Its raw-bytes form takes rows as C strings: a row
    /// without its NUL lets the spawn copy whatever heap follows it into the gateway's environment.)
    static func environment(
        from own: [String: String] = ProcessInfo.processInfo.environment
    ) -> [Environment.Key: String] {
        var environment: [Environment.Key: String] = [:]
        for name in inherited {
            if let value = own[name], let key = Environment.Key(rawValue: name) { environment[key] = value }
        }
        return environment
    }

    /// The gateway is this very binary, executed through `/proc/self/exe` rather than the path it resolves to: once
    /// `scripts/install` renames a new binary into place, that path is another version (or gone, "(deleted)"), and
    /// the old `serve` would restart its gateway from it. The link still reaches the file `serve` runs from.
    static let executable = FilePath("/proc/self/exe")

    private func run(arguments: [String], listening: @escaping @Sendable (Int) -> Void) async -> String {
        let environment = Self.environment()
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(2))]
        do {
            let result = try await Subprocess.run(
                .path(Self.executable),
                arguments: Arguments(executablePathOverride: "sealgate", remainingValues: arguments),
                environment: .custom(environment),
                platformOptions: options, input: .none, output: .sequence,
                error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
            ) { execution in
                var pending: [UInt8] = []
                for try await chunk in execution.standardOutput {
                    pending += chunk.withUnsafeBytes { Array($0) }
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let text = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeFirst(newline + 1)
                        if text.hasPrefix("LISTENING "), let port = Int(text.dropFirst(10)) { listening(port) }
                    }
                }
            }
            return "\(result.terminationStatus)"
        } catch {
            return "failed to start: \(error)"
        }
    }
}

/// The port a gateway run reported.
private final class PortBox: Sendable {
    private let value = Mutex<Int?>(nil)
    var port: Int? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}
