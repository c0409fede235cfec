import Glibc
import Subprocess
import SystemPackage

/// Runs one upstream process for its whole life with swift-subprocess: its own session (so its process group can
/// be signalled as a whole), stdin and stdout on pipes the broker's event loop already reads and writes
/// (`UpstreamPipes`), stderr read line by line here.
enum UpstreamProcess {
    /// Longer stderr lines are cut to this when logged (they only go to the log), after they are masked.
    static let maximumLogLineLength = 8 << 10
    /// How much of an over-long stderr line is read (and masked whole) before the cut: a secret that straddles the
    /// cut is masked as long as it is shorter than the difference. The rest of the line is dropped.
    static let maximumReadLineLength = 4 * maximumLogLineLength

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

    /// Returns when the process is gone: after its stdout ended (`stdoutClosed`) and it exited, or when it was
    /// stopped or the task was cancelled (then the process group gets SIGTERM and, after `grace`, SIGKILL). Never
    /// leaves a zombie: `run` reaps the child. swift-subprocess owns and closes the child's pipe ends.
    static func run(
        plan: LaunchPlan, stdin: SystemPackage.FileDescriptor, stdout: SystemPackage.FileDescriptor,
        stdoutClosed: AsyncStream<Void>,
        stopSignal: AsyncStream<Void>, grace: Duration, started: @escaping @Sendable (Int32) async -> Void,
        stderr: @escaping @Sendable (String) async -> Void
    ) async -> Outcome {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: grace)]
        do {
            let result = try await Subprocess.run(
                .path(FilePath(plan.executable)), arguments: Arguments(plan.arguments),
                environment: .custom(plan.environmentRows), platformOptions: options,
                input: .fileDescriptor(stdin, closeAfterSpawningProcess: true),
                output: .fileDescriptor(stdout, closeAfterSpawningProcess: true), error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                await started(pid)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        var lines = LineSplitter(limit: maximumReadLineLength, truncate: true)
                        do {
                            for try await chunk in execution.standardError {
                                for line in chunk.withUnsafeBytes({ lines.feed($0) }) {
                                    await stderr(String(decoding: line, as: UTF8.self))
                                }
                            }
                        } catch {
                            // Stderr is only for the log: losing its tail must not end the process's run.
                        }
                    }
                    group.addTask {
                        // Asked to stop: stdin is closed by then; give the process `grace` to exit on its own.
                        for await _ in stopSignal {
                            try? await Task.sleep(for: grace)
                            kill(-pid, SIGTERM)
                            try? await Task.sleep(for: grace)
                            kill(-pid, SIGKILL)
                            break
                        }
                    }
                    for await _ in stdoutClosed { break }
                    group.cancelAll()
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signalled(signal)
            }
        } catch {
            // swift-subprocess closed the child's ends (it owns them from the call on, even when spawning fails).
            return .failedToStart("\(error)")
        }
    }
}

/// Cuts a byte stream into "\n"-terminated lines, holding at most `limit` bytes of an unfinished line.
struct LineSplitter {
    let limit: Int
    /// Cut over-long lines (stderr) instead of flagging an overflow (stdout). The rest of a cut line is dropped up to
    /// its newline, never passed on as a line of its own: a secret split there would be in neither piece whole.
    let truncate: Bool
    private var pending: [UInt8] = []
    private(set) var overflowed = false
    /// Dropping the rest of a cut line.
    private var skipping = false

    init(limit: Int, truncate: Bool) {
        self.limit = limit
        self.truncate = truncate
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        for index in 0..<bytes.count where bytes[index] == 0x0A {
            if skipping {
                skipping = false
            } else {
                pending.append(contentsOf: bytes[start..<index])
                lines.append(pending)
            }
            pending = []
            start = index + 1
        }
        if !skipping { pending.append(contentsOf: bytes[start...]) }
        if pending.count > limit {
            if truncate {
                lines.append(Array(pending.prefix(limit)))
                pending = []
                skipping = true
            } else {
                overflowed = true
            }
        }
        return lines
    }
}
