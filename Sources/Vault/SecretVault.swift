import Foundation
import Glibc

/// An open, unlocked vault: the façade the CLI and the broker call. The only way to a decrypted secret.
///
/// Not `Sendable`: it owns the keyring. A process that serves many tasks wraps it in an actor.
public final class SecretVault {
    /// How many versions of each secret are kept; older ones are destroyed when a new one is added.
    public static let keptVersions = 10

    public let home: VaultHome
    /// Who the audit log names for changes made through this handle, e.g. `cli:alice(uid 1000)`.
    public let actor: String
    let store: VaultStore
    var keyring: Keyring
    var clock: @Sendable () -> Int64

    init(home: VaultHome, store: VaultStore, keyring: Keyring, actor: String, clock: @escaping @Sendable () -> Int64) {
        self.home = home
        self.store = store
        self.keyring = keyring
        self.actor = actor
        self.clock = clock
    }

    static let systemClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

    /// Creates a new vault in `home`. Refuses, changing nothing, when one is already there.
    public static func create(
        home: VaultHome, unlock: VaultUnlock, kdf: PassphraseKDF = .moderate, actor: String
    ) throws(VaultError) -> SecretVault {
        try Sodium.ensureInitialized()
        if home.exists || home.keyFile.exists {
            throw VaultError(
                .refused, "a vault already exists in \(home.path)",
                remedy: "use it as it is, or pass --home DIR for a new one")
        }
        try home.prepareDirectory()
        let term: UInt32 = 1
        let kek: SecureBytes
        var kdfSalt: [UInt8]?
        switch unlock {
        case .keyFile:
            kek = SecureBytes.random(count: KeyFile.keyCount)
        case .passphrase(let passphrase):
            guard !passphrase.isEmpty else {
                throw VaultError(.invalidInput, "the passphrase is empty", remedy: "choose a long passphrase")
            }
            let salt = Sodium.randomBytes(PassphraseKDF.saltCount)
            kek = try kdf.deriveKey(passphrase: passphrase, salt: salt)
            kdfSalt = salt
        }
        let keyring = Keyring(kekTerm: term, kek: kek, root: SecureBytes.random(count: 32))
        // The key file is written before the database: a crash in between leaves no vault.db, so `init` runs again.
        if kdfSalt == nil { try home.keyFile.write(term: term, key: kek) }
        let store: VaultStore
        do {
            store = try VaultStore(path: home.databasePath, create: true)
            let vault = SecretVault(home: home, store: store, keyring: keyring, actor: actor, clock: systemClock)
            try vault.write { tx in
                try tx.setMeta("vault_id", blob: Sodium.randomBytes(16))
                try tx.setMeta("kek_term", Int64(term))
                try tx.setMeta("kdf", kdfSalt == nil ? "keyfile" : "argon2id13")
                if let kdfSalt {
                    try tx.setMeta("kdf_salt", blob: kdfSalt)
                    try tx.setMeta("kdf_ops", Int64(kdf.opsLimit))
                    try tx.setMeta("kdf_mem", Int64(kdf.memLimit))
                }
                try tx.setMeta("root_sealed", blob: keyring.sealedRoot(under: kek, term: term).bytes)
                return AuditEvent(event: "vault.init", detail: kdfSalt == nil ? "key file" : "passphrase")
            }
            return vault
        } catch {
            unlink(home.databasePath)
            unlink(home.databasePath + "-wal")
            unlink(home.databasePath + "-shm")
            if kdfSalt == nil { home.keyFile.remove() }
            throw error
        }
    }

    /// Opens and unlocks the vault in `home`. The passphrase is asked for only when the vault needs one.
    public static func open(
        home: VaultHome, actor: String, passphrase: PassphraseProvider
    ) throws(VaultError) -> SecretVault {
        try Sodium.ensureInitialized()
        guard home.exists else {
            throw VaultError(
                .notFound, "no vault in \(home.path)", remedy: "run `sealgate init` first, or pass --home DIR")
        }
        umask(0o077)
        let store = try VaultStore(path: home.databasePath, create: false)
        let (kekTerm, kdfName, sealedRoot, salt, ops, mem) = try store.read { tx in
            (
                try tx.metaInt("kek_term"), try tx.metaString("kdf"), try tx.metaBlob("root_sealed"),
                try tx.metaBlob("kdf_salt"), try tx.metaInt("kdf_ops"), try tx.metaInt("kdf_mem")
            )
        }
        guard let kekTerm, let sealedRoot, let term = UInt32(exactly: kekTerm) else {
            throw .integrity("the vault metadata")
        }
        let kek: SecureBytes
        switch kdfName {
        case "keyfile":
            kek = try currentKeyFileKey(home: home, term: term)
        case "argon2id13":
            guard let salt, let ops, let mem, let opsLimit = UInt64(exactly: ops), let memLimit = Int(exactly: mem)
            else {
                throw .integrity("the vault's passphrase parameters")
            }
            kek = try PassphraseKDF(opsLimit: opsLimit, memLimit: memLimit).deriveKey(
                passphrase: try passphrase(), salt: salt)
        default:
            throw .integrity("the vault metadata (unknown key source)")
        }
        let keyring = try Keyring.unlock(sealedRoot: sealedRoot, kekTerm: term, kek: kek)
        return SecretVault(home: home, store: store, keyring: keyring, actor: actor, clock: systemClock)
    }

    /// Whether the vault in `home` unlocks with a passphrase (so the caller knows to prompt).
    public static func needsPassphrase(home: VaultHome) -> Bool {
        !home.keyFile.exists && home.exists
    }

    /// Reads the key file for `term`, finishing or undoing a key rotation that a crash interrupted.
    ///
    /// Rotation writes `key.next` (new term), commits the database, then renames `key.next` over `key`.
    /// So: database at the old term → `key.next` is an unfinished attempt and goes; database at the new term →
    /// the commit happened and only the rename is missing.
    private static func currentKeyFileKey(home: VaultHome, term: UInt32) throws(VaultError) -> SecureBytes {
        let pending = home.pendingKeyFile
        if pending.exists {
            let next = try pending.read()
            if next.term == term {
                try pending.rename(over: home.keyFile)
                return next.key
            }
            pending.remove()
        }
        let current = try home.keyFile.read()
        guard current.term == term else {
            throw VaultError(
                .integrity, "the key file holds key term \(current.term) but the vault needs term \(term)",
                remedy: "restore the key file that belongs to this vault")
        }
        return current.key
    }

    /// Runs `body` in one write transaction and chains the audit event it returns into the same transaction.
    @discardableResult
    func writeReturning<T>(_ body: (VaultTransaction) throws -> (T, AuditEvent?)) throws(VaultError) -> T {
        let now = clock()
        let chain = AuditChain(key: keyring.auditKey)
        return try store.write { tx in
            let (result, event) = try body(tx)
            if let event { try chain.append(event, actor: actor, now: now, in: tx) }
            return result
        }
    }

    func write(_ body: (VaultTransaction) throws -> AuditEvent?) throws(VaultError) {
        try writeReturning { tx in ((), try body(tx)) }
    }

    func read<T>(_ body: (VaultTransaction) throws -> T) throws(VaultError) -> T {
        try store.read(body)
    }

    /// The change counter: it moves on every committed write, whoever made it.
    public func generation() throws(VaultError) -> Int64 {
        try read { try $0.generation() }
    }
}
