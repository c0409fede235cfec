import Dispatch
import Glibc
import Logging

/// A daemon asked to stop must stop. After a stop signal the orderly shutdown (drain, stop upstreams, close sockets)
/// gets `limit`; past it, every child process group is killed and the process exits with status 1. The timer runs
/// on a Dispatch queue, not a Swift task, so a stuck task (or a starved thread pool) cannot hold it back.
public enum ShutdownDeadline {
    public static func arm(after limit: Duration, logger: Logger) {
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            logger.error("the orderly shutdown took longer than \(limit); killing child processes and exiting")
            for child in childProcesses() {
                kill(-child, SIGKILL)  // upstreams lead their own process group
                kill(child, SIGKILL)
            }
            _exit(1)
        }
    }

    /// The pids whose parent is `parent` (this process by default), read from /proc.
    static func childProcesses(of parent: pid_t = getpid()) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var children: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name), let stat = try? readFile("/proc/\(pid)/stat") else { continue }
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { children.append(pid) }
        }
        return children
    }

    private static func readFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Errno() }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { throw Errno() }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    private struct Errno: Error {}
}
