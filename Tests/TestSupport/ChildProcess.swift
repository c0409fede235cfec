import Foundation

/// Waiting for child processes never without a deadline.
///
/// A broker that never saw its SIGTERM (a signal lost by libdispatch, since fixed in `SignalWatcher`) once left a
/// test parked in `Process.waitUntilExit()` for good, and two parked waits stop every test on a 2-core machine
/// (Swift's cooperative pool is two threads wide): CI ran out of time. So these helpers give up at a deadline, kill
/// the child and throw an error that names it. They also ask the kernel (`waitid` with `WNOWAIT`, which leaves the
/// child for Foundation to reap) rather than trusting Foundation's exit notice alone.
///
/// Every wait ends in `waitUntilExit()`, even when the child is known to be gone: in Foundation 6.3.1 a `Process`
/// and its run-loop source retain each other until `waitUntilExit()` breaks the cycle, so a process only polled
/// through `isRunning` keeps its pipes open forever. Hundreds of such leaks pushed the test process past ~1,350
/// descriptors, where `Process.run()` itself crashes (swift-corelibs-foundation #5472).
extension Process {
    /// How a child ended: its exit code, or (`signalled`) the number of the signal that ended it.
    public struct Ending: Equatable, Sendable {
        public let status: Int32
        public let signalled: Bool
    }

    /// Waits at most `seconds` for the process to end. Past the deadline it is killed (SIGKILL to it and to its
    /// process group, which it leads when it made its own session) and `ChildProcessError` is thrown.
    @discardableResult
    public func waitForExit(within seconds: Double = 60) throws(ChildProcessError) -> Ending {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let ending = ending {
                waitUntilExit()  // the child is gone; this only waits for Foundation to reap it and frees the process
                return ending
            }
            if Date() >= deadline { break }
            usleep(5_000)
        }
        let pid = processIdentifier
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        waitUntilExit()
        throw ChildProcessError("\(describe) did not exit within \(seconds) s; killed it")
    }

    /// Asks the process to stop with `signal`, waits at most `grace` seconds, then kills it. Throws when it had to
    /// be killed: a process that ignores SIGTERM is a bug worth a failing test.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, grace: Double = 20) throws(ChildProcessError) -> Ending {
        if let ending = ending { return ending }
        kill(processIdentifier, signal)
        return try waitForExit(within: grace)
    }

    /// Kills the process if it is still running after `seconds`: reads of its pipes then end instead of blocking the
    /// test (and, through the thread they hold, other tests) forever. Cancel the returned item once the read it
    /// guards is done, if the process is meant to live on.
    @discardableResult
    public func killIfStillRunning(after seconds: Double) -> DispatchWorkItem {
        let pid = processIdentifier
        let watchdog = DispatchWorkItem { [weak self] in
            guard let self, self.ending == nil else { return }
            kill(pid, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        return watchdog
    }

    /// How it ended, if it has: Foundation's answer once it has reaped the child, else the kernel's, read without
    /// reaping.
    private var ending: Ending? {
        if !isRunning {
            return Ending(status: terminationStatus, signalled: terminationReason == .uncaughtSignal)
        }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid == processIdentifier
        else { return nil }
        let code = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED
            ? Ending(status: code, signalled: false) : Ending(status: code, signalled: true)
    }

    private var describe: String {
        let name = executableURL?.lastPathComponent ?? "a child"
        return "\(name) \((arguments ?? []).prefix(4).joined(separator: " ")) (pid \(processIdentifier))"
    }
}

/// A child process that did not end in time.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
