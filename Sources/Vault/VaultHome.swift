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
    var pendingKeyFilePath: String { path + "/key.next" }

    var keyFile: KeyFile { KeyFile(path: keyFilePath) }
    var pendingKeyFile: KeyFile { KeyFile(path: pendingKeyFilePath) }

    public var exists: Bool { access(databasePath, F_OK) == 0 }

    /// Creates the directory 0700 (or tightens an existing empty one). Files made later inherit umask 077.
    func prepareDirectory() throws(VaultError) {
        umask(0o077)
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw VaultError(
                .refused, "cannot create \(path): \(String(cString: strerror(errno)))",
                remedy: "pass --home DIR or set SEALGATE_HOME to a writable place")
        }
        guard chmod(path, 0o700) == 0 else {
            throw VaultError(.refused, "cannot set permissions on \(path): \(String(cString: strerror(errno)))")
        }
    }
}
