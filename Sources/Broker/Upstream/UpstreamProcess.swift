import Glibc
import Subprocess
import SystemPackage

/// Runs one upstream process for its whole life with swift-subprocess: its own session (so its process group can
/// be signalled as a whole), stdin fed from `outgoing`, stdout and stderr read line by line.
enum UpstreamProcess {
    enum Event: Sendable {
        case started(pid: Int32)
        /// One stdout line (one JSON-RPC message), without its newline.
        case line([UInt8])
        case stderr(String)
        /// Stdout went past `maximumLineLength` without a newline: the process is being killed.
        case tooLong
    }

    /// The longest stdout line accepted (one MCP message); past it the upstream is misbehaving and is killed.
    static let maximumLineLength = 16 << 20
    /// Longer stderr lines are cut (they only go to the log).
    static let maximumLogLineLength = 8 << 10

    enum Outcome: Sendable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)
        case failedToStart(String)

        var description: String {
            switch self {
            case .exited(let code): "exit \(code)"
            case .signalled(let signal): "signal \(signal)"
            case .failedToStart(let why): "failed to start: \(why)"
            }
        }
    }

    /// Returns when the process is gone (it exited, was stopped, or the task was cancelled: then the process group
    /// gets SIGTERM and, after `grace`, SIGKILL). Never leaves a zombie: `run` reaps the child.
    static func run(
        plan: LaunchPlan, outgoing: AsyncStream<[UInt8]>, stopSignal: AsyncStream<Void>, grace: Duration,
        events: @escaping @Sendable (Event) async -> Void
    ) async -> Outcome {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)]
        do {
            let result = try await Subprocess.run(
                .path(FilePath(plan.executable)), arguments: Arguments(plan.arguments),
                environment: .custom(plan.environmentRows), platformOptions: options,
                input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                await events(.started(pid: pid))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await bytes in outgoing { _ = try await execution.standardInputWriter.write(bytes) }
                        try await execution.standardInputWriter.finish()
                    }
                    group.addTask {
                        var lines = LineSplitter(limit: maximumLogLineLength, truncate: true)
                        for try await chunk in execution.standardError {
                            for line in chunk.withUnsafeBytes({ lines.feed($0) }) {
                                await events(.stderr(String(decoding: line, as: UTF8.self)))
                            }
                        }
                    }
                    group.addTask {
                        // Asked to stop: stdin is closed by then; give the process `grace` to exit on its own.
                        for await _ in stopSignal {
                            try await Task.sleep(for: grace)
                            kill(-pid, SIGTERM)
                            try await Task.sleep(for: grace)
                            kill(-pid, SIGKILL)
                            break
                        }
                    }
                    // Split on "\n" only: a JSON string may hold U+2028 and friends, which are not line ends here.
                    var lines = LineSplitter(limit: maximumLineLength, truncate: false)
                    reading: for try await chunk in execution.standardOutput {
                        for line in chunk.withUnsafeBytes({ lines.feed($0) }) { await events(.line(line)) }
                        if lines.overflowed {
                            await events(.tooLong)
                            kill(-pid, SIGKILL)
                            break reading
                        }
                    }
                    group.cancelAll()
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signalled(signal)
            }
        } catch {
            return .failedToStart("\(error)")
        }
    }
}

/// Cuts a byte stream into "\n"-terminated lines, holding at most `limit` bytes of an unfinished line.
struct LineSplitter {
    let limit: Int
    /// Cut over-long lines (stderr) instead of flagging an overflow (stdout).
    let truncate: Bool
    private var pending: [UInt8] = []
    private(set) var overflowed = false

    init(limit: Int, truncate: Bool) {
        self.limit = limit
        self.truncate = truncate
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            pending.append(contentsOf: bytes[start..<index])
            lines.append(pending)
            pending = []
            start = index + 1
        }
        pending.append(contentsOf: bytes[start...])
        if pending.count > limit {
            if truncate {
                lines.append(Array(pending.prefix(limit)))
                pending = []
            } else {
                overflowed = true
            }
        }
        return lines
    }
}
