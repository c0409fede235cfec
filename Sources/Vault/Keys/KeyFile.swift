import CSodium
import Glibc

/// The key-encryption key on disk: `"SGK1" ‖ term (u32 BE) ‖ 32 key bytes`, mode 0600.
///
/// The term lets a reader tell which key a file holds without trying it, which makes the two-file
/// rotation (`key.next` written first, renamed over `key` after the database commits) recoverable.
struct KeyFile {
    static let magic: [UInt8] = Array("SGK1".utf8)
    static let keyCount = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    static let fileCount = 4 + 4 + keyCount

    let path: String

    var exists: Bool { access(path, F_OK) == 0 }

    /// Reads the key into guarded memory. Refuses, like ssh does, a file that others can read, one that another
    /// user owns (they could have put their own key there, or read ours) and a symbolic link.
    func read() throws(VaultError) -> (term: UInt32, key: SecureBytes) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw VaultError(.notFound, "key file \(path) is missing", remedy: "restore it from your backup")
            }
            if errno == ELOOP {
                throw VaultError(
                    .refused, "key file \(path) is a symbolic link",
                    remedy: "put the key file itself there (mode 600), after checking who controls the link")
            }
            throw VaultError(.refused, "cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw VaultError(.internalFailure, "cannot stat key file \(path)") }
        // fstat of the opened file: what was checked is what is read.
        try VaultHome.requireOwned(info, path, what: "key file", kind: S_IFREG)
        guard info.st_mode & 0o077 == 0 else {
            throw VaultError(
                .refused, "key file \(path) is readable by other users",
                remedy: "run `chmod 600 \(path)` and rotate the key with `sealgate keys rotate`")
        }
        let buffer = SecureBytes(count: Self.fileCount + 1)
        let got = buffer.withUnsafeMutableBytes { readFully(fd, $0) }
        guard got == Self.fileCount else { throw .integrity("key file \(path)") }
        return try buffer.withUnsafeBytes { (bytes) throws(VaultError) -> (UInt32, SecureBytes) in
            guard Array(bytes[0..<4]) == Self.magic else { throw .integrity("key file \(path)") }
            let term = UInt32(bigEndianBytes: ArraySlice(bytes[4..<8]))
            let key = SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[8..<Self.fileCount]))
            return (term, key)
        }
    }

    /// Writes the key durably: a new file created 0600 with `O_EXCL`, written, fsynced.
    func write(term: UInt32, key: SecureBytes) throws(VaultError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw VaultError(.refused, "cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        let contents = SecureBytes(count: Self.fileCount)
        contents.withUnsafeMutableBytes { out in
            out.copyBytes(from: Self.magic)
            withUnsafeBytes(of: term.bigEndian) {
                (out.baseAddress! + 4).copyMemory(from: $0.baseAddress!, byteCount: 4)
            }
            key.withUnsafeBytes { (out.baseAddress! + 8).copyMemory(from: $0.baseAddress!, byteCount: Self.keyCount) }
        }
        let ok = contents.withUnsafeBytes { writeFully(fd, $0) } && fsync(fd) == 0
        close(fd)
        guard ok else {
            unlink(path)
            throw VaultError(.internalFailure, "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
        // The new name must be durable before anything (a database commit) comes to depend on it.
        syncDirectory(containing: path)
    }

    /// Atomically puts this file in place of `target` and makes the rename durable.
    func rename(over target: KeyFile) throws(VaultError) {
        guard Glibc.rename(path, target.path) == 0 else {
            throw VaultError(
                .internalFailure, "cannot replace key file \(target.path): \(String(cString: strerror(errno)))")
        }
        syncDirectory(containing: target.path)
    }

    func remove() {
        unlink(path)
    }
}

private func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    var total = 0
    while total < buffer.count {
        let n = Glibc.read(fd, buffer.baseAddress! + total, buffer.count - total)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        total += n
    }
    return total
}

private func writeFully(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
    var total = 0
    while total < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + total, buffer.count - total)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        total += n
    }
    return true
}

/// fsync of a directory makes a rename or create in it durable.
func syncDirectory(containing path: String) {
    let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
}
