import Glibc
import Subprocess
import SystemPackage

/// Runs one upstream process for its whole life with swift-subprocess: its own session (so its process group can
/// be signalled as a whole), stdin fed from `outgoing`, stdout and stderr read line by line.
enum UpstreamProcess {
    enum Event: Sendable {
        case started(pid: Int32)
        case line(String)
        case stderr(String)
    }

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
                        for try await line in execution.standardError.strings() { await events(.stderr(line)) }
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
                    for try await line in execution.standardOutput.strings() {
                        await events(.line(line))
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
