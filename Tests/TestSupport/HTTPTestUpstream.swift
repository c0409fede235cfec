import Foundation

/// The package's test upstream serving Streamable HTTP (and HTTP+SSE) on a free loopback port, stopped by its own
/// pid when released.
public final class HTTPTestUpstream {
    public let process = Process()
    public let port: Int

    /// Starts `binary` (the built `sealgate-test-upstream`) with `--transport http --era ERA` and `extra`, and
    /// `environment` added to this process's, and waits for the line that names its port.
    public init(_ binary: String, era: String, extra: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--transport", "http", "--port", "0", "--era", era] + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A server that never says where it listens is killed, which ends the read.
        let watchdog = process.killIfStillRunning(after: 60)
        var line = ""
        while !line.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        watchdog.cancel()
        guard
            let port = line.split(separator: " ").last.flatMap({
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        else {
            throw ChildProcessError("the HTTP test upstream did not say where it listens: \(line)")
        }
        self.port = port
    }

    /// Its Streamable HTTP endpoint.
    public var url: String { "http://127.0.0.1:\(port)/mcp" }

    deinit {
        _ = try? process.stop(grace: 10)
    }
}
