import Glibc

/// The files of one vault: a 0700 directory holding the key file and the database (both 0600).
public struct VaultHome: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    public var databasePath: String { path + "/vault.db" }
    public var keyFilePath: String { path + "/key" }
    /// A new key written before the database commits a rotation; renamed over `key` after.
    public var pendingKeyFilePath: String { path + "/key.next" }

    var keyFile: KeyFile { KeyFile(path: keyFilePath) }
    var keyLock: KeyLock { KeyLock(path: path + "/key.lock") }
    var pendingKeyFile: KeyFile { KeyFile(path: pendingKeyFilePath) }

    public var exists: Bool { access(databasePath, F_OK) == 0 }

    /// Creates the directory 0700, or tightens an existing empty one; a directory that already holds files is
    /// refused (it may be the user's own, and its mode is not ours to change). Files made later get umask 077.
    func prepareDirectory() throws(VaultError) {
        umask(0o077)
        if mkdir(path, 0o700) != 0 {
            guard errno == EEXIST else {
                throw VaultError(
                    .refused, "cannot create \(path): \(String(cString: strerror(errno)))",
                    remedy: "pass --home DIR or set SEALGATE_HOME to a writable place")
            }
            guard isEmptyDirectory else {
                throw VaultError(
                    .refused, "\(path) already exists and is not an empty directory",
                    remedy: "pass --home with a new or empty directory")
            }
        }
        guard chmod(path, 0o700) == 0 else {
            throw VaultError(.refused, "cannot set permissions on \(path): \(String(cString: strerror(errno)))")
        }
    }

    private var isEmptyDirectory: Bool {
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { return false }
        }
        return true
    }
}
