import Foundation
import MCPWire
import TestSupport
import Testing

/// The official MCP Python SDK as a client (`Tests/Interop/mcp_client.py`), from the virtualenvs that
/// `scripts/interop-venv` creates: `v2` (mcp 2.3.0) and `v1` (mcp 1.30.0). Steps in, one JSON line out per step.
final class PythonClient: @unchecked Sendable {
    // `@unchecked`: the process and its pipes are used by one test at a time.
    static let interopDirectory: String =
        ProcessInfo.processInfo.environment["SEALGATE_INTEROP_DIR"]
        ?? ServeHarness.repositoryRoot.appendingPathComponent(".build/interop").path
    static let script = ServeHarness.repositoryRoot.appendingPathComponent("Tests/Interop/mcp_client.py").path

    /// The interpreter of venv `name`; throws with what to run when it is missing.
    static func python(_ name: String) throws -> String {
        let path = "\(interopDirectory)/\(name)/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError("no \(name) virtualenv at \(path): run scripts/interop-venv (scripts/test does)")
        }
        return path
    }

    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let errors = OutputCollector()
    private var buffer: [UInt8] = []

    /// Starts the client: `venv` v1 or v2, `transport` streamable or sse, `mode` auto, legacy or modern; `options`
    /// are more of mcp_client.py's (`--elicitation-answer TEXT`, …).
    init(
        venv: String, url: String, token: String, transport: String, mode: String, steps: [JSONValue],
        options: [String] = []
    ) throws {
        process.executableURL = URL(fileURLWithPath: try Self.python(venv))
        process.arguments =
            [
                Self.script, "--url", url, "--token", token, "--transport", transport, "--mode", mode, "--steps",
                JSONValue.array(steps).serializedString,
            ] + options
        process.standardInput = input
        process.standardOutput = output
        let stderr = Pipe()
        process.standardError = stderr
        errors.collect(stderr)
        try process.run()
    }

    deinit {
        _ = try? process.stop(grace: 10)  // stops a client a failed test left running, and frees its pipes
    }

    /// The next line the client printed, as JSON; throws after `timeout` seconds or at its end.
    func next(timeout: Double = 30) throws -> JSONValue {
        let fd = output.fileHandleForReading.fileDescriptor
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                let value = try JSONParser.parse(line)
                if value["op"] == "fatal" {
                    throw HarnessError("the Python client failed: \(value.serializedString)\n\(errors.text)")
                }
                return value
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard poll(&poller, 1, wait) > 0 else {
                throw HarnessError("the Python client said nothing: \(errors.text)")
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw HarnessError("the Python client ended: \(errors.text)") }
            buffer += chunk[0..<n]
        }
    }

    /// Lets a `pause_for_stdin` step go on.
    func resume() {
        input.fileHandleForWriting.write(Data("go\n".utf8))
    }

    /// Waits for the client to exit; returns its status.
    func finish() -> Int32 {
        try? input.fileHandleForWriting.close()
        do {
            return try process.waitForExit(within: 120).status
        } catch {
            Issue.record("\(error): \(errors.text)")
            return -1
        }
    }
}
