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
    /// refused (it may be the user's own, and its mode is not ours to change), and so is one that is a symbolic
    /// link or belongs to another user. Files made later get umask 077.
    func prepareDirectory() throws(VaultError) {
        umask(0o077)
        if mkdir(path, 0o700) != 0 {
            guard errno == EEXIST else {
                throw VaultError(
                    .refused, "cannot create \(path): \(String(cString: strerror(errno)))",
                    remedy: "pass --home DIR or set SEALGATE_HOME to a writable place")
            }
            if let info = try Self.linkStatus(path) {
                try Self.requireOwned(info, path, what: "the vault home", kind: S_IFDIR)
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

    /// Refuses a home that another user could have put in place or changed: the directory must be a real directory
    /// (not a symbolic link), belong to this user and be writable by nobody else; `vault.db` and its WAL files, when
    /// present, must be regular files of this user that nobody else can write. Run before anything in the home is
    /// opened; with the directory ours and closed to others, nobody else can swap the files after the check. A
    /// home that does not exist passes (opening then reports the missing vault).
    public func checkOwnership() throws(VaultError) {
        guard let home = try Self.linkStatus(path) else { return }
        try Self.requireOwned(home, path, what: "the vault home", kind: S_IFDIR)
        guard home.st_mode & 0o022 == 0 else {
            throw VaultError(
                .refused,
                "the vault home \(path) is writable by other users (mode \(String(home.st_mode & 0o777, radix: 8)))",
                remedy: "run `chmod 700 \(path)`, then check that nothing in it was replaced")
        }
        for file in [databasePath, databasePath + "-wal", databasePath + "-shm"] {
            guard let info = try Self.linkStatus(file) else { continue }
            try Self.requireOwned(info, file, what: "the vault database", kind: S_IFREG)
            guard info.st_mode & 0o022 == 0 else {
                throw VaultError(
                    .refused, "\(file) is writable by other users (mode \(String(info.st_mode & 0o777, radix: 8)))",
                    remedy: "run `chmod 600 \(file)`, then run `sealgate audit verify` and `sealgate secrets verify`")
            }
        }
    }

    /// `lstat` of `path`, or nil when nothing is there.
    static func linkStatus(_ path: String) throws(VaultError) -> stat? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw VaultError(.refused, "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        return info
    }

    /// Refuses a symbolic link, a file of another type than `kind`, or one that another user owns.
    static func requireOwned(_ info: stat, _ path: String, what: String, kind: mode_t) throws(VaultError) {
        let type = info.st_mode & S_IFMT
        guard type != S_IFLNK else {
            throw VaultError(
                .refused, "\(what) \(path) is a symbolic link",
                remedy: "check who controls the link and where it points; then use the real path (--home DIR)")
        }
        guard type == kind else {
            throw VaultError(
                .refused, "\(what) \(path) is not a \(kind == S_IFDIR ? "directory" : "regular file")",
                remedy: "pass --home with the vault's own directory")
        }
        let me = geteuid()
        guard info.st_uid == me else {
            throw VaultError(
                .refused, "\(what) \(path) belongs to uid \(info.st_uid), not to this user (uid \(me))",
                remedy: "use a vault home of your own (--home DIR or SEALGATE_HOME); if this one is yours, `chown` it "
                    + "back and check that nothing in it was changed")
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
