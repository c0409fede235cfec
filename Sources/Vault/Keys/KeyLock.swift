import Glibc

/// An advisory lock (`flock` on `HOME/key.lock`) that orders key-file loading against key rotation across processes.
///
/// Opening takes it shared while it reads the key term and the key file; rotation takes it exclusive from writing
/// `key.next` until the rename. The kernel drops it when a process dies, so `kill -9` never leaves it held.
struct KeyLock {
    enum Mode {
        case shared, exclusive
    }

    let path: String

    func withLock<T>(_ mode: Mode, _ body: () throws(VaultError) -> T) throws(VaultError) -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw VaultError(.refused, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }  // closing the descriptor releases the lock
        while flock(fd, mode == .shared ? LOCK_SH : LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw VaultError(.internalFailure, "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }
}
