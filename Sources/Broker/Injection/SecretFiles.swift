import Glibc
import Vault

/// The files that `${NAME:file}` resolves to for one launch of one upstream: each holds one secret's value, mode 0600,
/// in a directory of its own, mode 0700, under a per-user directory (also 0700) on tmpfs when there is one:
/// `$XDG_RUNTIME_DIR/sealgate`, else `/dev/shm/sealgate-UID`, else `$TMPDIR` or `/tmp` `/sealgate-UID`.
///
/// An upstream runs as the broker's user, so no other local user can open them (unlike the command line, which
/// every local user reads in `/proc/PID/cmdline`). They are overwritten with zeros and removed when this object is
/// released: the upstream's `SecretMasker` retains it, and is dropped when the process is gone (also at broker stop).
/// A broker that was killed leaves its directories behind; the next launch that writes a file removes those of
/// brokers that no longer run.
///
/// Not `Sendable`: it is made, written and handed to the masker on the vault's isolation, and only released after.
final class SecretFiles {
    private let parent: [String: String]
    private var directory: String?
    private var written: [(name: String, path: String, count: Int)] = []

    /// `parent`: the broker's environment, for `XDG_RUNTIME_DIR` and `TMPDIR`.
    init(parent: [String: String]) {
        self.parent = parent
    }

    deinit {
        for file in written { Self.shred(file.path, count: file.count) }
        if let directory { rmdir(directory) }
    }

    /// The path of a file holding `secret`'s value, written on first use. The error names the directory and the
    /// secret, never the value.
    func path(for secret: InjectedSecret, server: String) throws(BrokerError) -> String {
        if let file = written.first(where: { $0.name == secret.name }) { return file.path }
        let directory = try launchDirectory(server: server)
        let path = directory + "/" + secret.name
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw Self.failure(errno, "cannot create a file for \(secret.name) in \(directory)", server)
        }
        defer { close(fd) }
        written.append((secret.name, path, secret.value.count))
        let complete = secret.value.withUnsafeBytes { bytes in Self.writeAll(fd, bytes) }
        guard complete else {
            throw Self.failure(errno, "cannot write the file for \(secret.name) in \(directory)", server)
        }
        return path
    }

    /// This launch's directory, made on first use under the per-user one, which must be ours and closed to others.
    private func launchDirectory(server: String) throws(BrokerError) -> String {
        if let directory { return directory }
        let base = baseDirectory()
        if mkdir(base, 0o700) != 0 && errno != EEXIST {
            throw Self.failure(errno, "cannot create \(base)", server)
        }
        var status = stat()
        guard lstat(base, &status) == 0, status.st_mode & 0o170000 == 0o040000, status.st_uid == geteuid(),
            status.st_mode & 0o077 == 0
        else {
            throw BrokerError(
                .refused, "\(base) is not a directory that only this user can open, so no secret file is written there",
                remedy: "remove it, or make it a directory of this user with mode 0700")
        }
        Self.removeAbandoned(in: base)
        var template = Array("\(base)/launch-\(getpid())-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Self.failure(errno, "cannot create a directory in \(base)", server)
        }
        let path = String(cString: made)
        directory = path
        return path
    }

    private func baseDirectory() -> String {
        if let runtime = parent["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"), Self.isDirectory(runtime) {
            return runtime + "/sealgate"
        }
        if Self.isDirectory("/dev/shm") { return "/dev/shm/sealgate-\(geteuid())" }
        let temporary = parent["TMPDIR"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/tmp"
        return temporary + "/sealgate-\(geteuid())"
    }

    /// Removes the launch directories of brokers that no longer run (a broker killed before it could clean up).
    private static func removeAbandoned(in base: String) {
        guard let listing = opendir(base) else { return }
        var abandoned: [String] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "launch", let pid = Int32(parts[1]) else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { abandoned.append(base + "/" + name) }
        }
        closedir(listing)
        for directory in abandoned {
            guard let files = opendir(directory) else { continue }
            var names: [String] = []
            while let entry = readdir(files) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(files)
            for name in names {
                var status = stat()
                let path = directory + "/" + name
                if lstat(path, &status) == 0 { shred(path, count: Int(status.st_size)) }
            }
            rmdir(directory)
        }
    }

    /// Overwrites a secret file with zeros (it may live on a disk when there is no tmpfs), then removes it.
    private static func shred(_ path: String, count: Int) {
        let fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        if fd >= 0 {
            let zeros = [UInt8](repeating: 0, count: min(count, 1 << 20))
            var left = count
            while left > 0 {
                let n = zeros.withUnsafeBytes { write(fd, $0.baseAddress, min(left, $0.count)) }
                if n <= 0 { break }
                left -= n
            }
            close(fd)
        }
        unlink(path)
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & 0o170000 == 0o040000
    }

    private static func failure(_ code: Int32, _ what: String, _ server: String) -> BrokerError {
        let reason = String(cString: strerror(code))
        return BrokerError(
            .upstreamFailed, "\(what) for server '\(server)': \(reason)",
            remedy: "check that XDG_RUNTIME_DIR (or /dev/shm, or TMPDIR) is writable by the broker's user")
    }
}
