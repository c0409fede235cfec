import Foundation
import Glibc

/// An open, unlocked vault: the façade the CLI and the broker call. The only way to a decrypted secret.
///
/// Not `Sendable`: it owns the keyring. A process that serves many tasks wraps it in an actor.
public final class SecretVault {
    /// How many versions of each secret are kept; older ones are destroyed when a new one is added.
    public static let keptVersions = 10
    /// The version of the database schema this build writes (older vaults are migrated to it when opened).
    public static var schemaVersion: Int { Schema.version }

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
        if home.exists {
            throw VaultError(
                .refused, "a vault already exists in \(home.path)",
                remedy: "use it as it is, or pass --home DIR for a new one")
        }
        if home.keyFile.exists {
            throw VaultError(
                .refused, "\(home.keyFilePath) exists but \(home.databasePath) does not",
                remedy: "an earlier `init` was interrupted, or the database is missing: restore it from a backup, "
                    + "or if there never was a vault here, remove \(home.keyFilePath) and run `sealgate init` again")
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
        // The key file is written before the database: a crash in between leaves a key without vault.db, which
        // `init` then reports (it cannot tell that from a lost database, so it removes nothing itself).
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
        try home.checkOwnership()
        guard home.exists else {
            throw VaultError(
                .notFound, "no vault in \(home.path)", remedy: "run `sealgate init` first, or pass --home DIR")
        }
        umask(0o077)
        let store = try VaultStore(path: home.databasePath, create: false)
        let keyring: Keyring
        switch try store.read({ try $0.metaString("kdf") }) {
        case "keyfile":
            keyring = try unlockWithKeyFile(home: home, store: store)
        case "argon2id13":
            let (meta, kdf, salt) = try store.read { tx in
                (try KeyMetadata(tx), try PassphraseKDF(tx), try tx.metaBlob("kdf_salt"))
            }
            guard let salt else { throw .integrity("the vault's passphrase salt") }
            let kek = try kdf.deriveKey(passphrase: try passphrase(), salt: salt)
            keyring = try Keyring.unlock(sealedRoot: meta.sealedRoot, kekTerm: meta.kekTerm, kek: kek)
        default:
            throw .integrity("the vault metadata (unknown key source)")
        }
        return SecretVault(home: home, store: store, keyring: keyring, actor: actor, clock: systemClock)
    }

    /// Loads the key file under the key lock, finishing or undoing a key rotation that a crash interrupted.
    ///
    /// Rotation writes `key.next` (new term), commits the database, then renames `key.next` over `key`, all under
    /// the exclusive lock. So when an opener finds `key.next`, the rotation that wrote it is dead: with the database
    /// at the new term only the rename is missing; otherwise the file is an unfinished attempt (perhaps cut short
    /// mid-write) and goes.
    private static func unlockWithKeyFile(home: VaultHome, store: VaultStore) throws(VaultError) -> Keyring {
        let lock = home.keyLock
        let current: Keyring? = try lock.withLock(.shared) { () throws(VaultError) -> Keyring? in
            guard !home.pendingKeyFile.exists else { return nil }
            return try unlock(store: store, keyFile: home.keyFile)
        }
        if let current { return current }
        return try lock.withLock(.exclusive) { () throws(VaultError) -> Keyring in
            let pending = home.pendingKeyFile
            if pending.exists {
                let term = try store.read { try KeyMetadata($0) }.kekTerm
                do throws(VaultError) {
                    let next = try pending.read()
                    if next.term == term {
                        try pending.rename(over: home.keyFile)
                    } else {
                        pending.remove()  // of the old term: that rotation never committed
                    }
                } catch  where error.code == .integrity {
                    // Short or malformed: rotation fsyncs key.next before it commits, so this one never committed.
                    pending.remove()
                }
                // Any other failure (permissions, I/O) propagates: that file may hold the only current key.
            }
            return try unlock(store: store, keyFile: home.keyFile)
        }
    }

    private static func unlock(store: VaultStore, keyFile: KeyFile) throws(VaultError) -> Keyring {
        let meta = try store.read { try KeyMetadata($0) }
        let key = try keyFile.read()
        guard key.term == meta.kekTerm else {
            throw VaultError(
                .integrity, "the key file holds key term \(key.term) but the vault needs term \(meta.kekTerm)",
                remedy: "restore the key file that belongs to this vault")
        }
        return try Keyring.unlock(sealedRoot: meta.sealedRoot, kekTerm: meta.kekTerm, kek: key.key)
    }

    /// Whether the vault in `home` unlocks with a passphrase (so the caller knows to prompt).
    public static func needsPassphrase(home: VaultHome) -> Bool {
        !home.keyFile.exists && home.exists
    }

    /// Runs `body` in one write transaction and chains the audit event it returns into the same transaction.
    ///
    /// Refuses with `.keyRotated` when another process rotated the master key since this handle loaded it: a data
    /// key wrapped now under the retired key could never be opened again. Pass `changesConfiguration: false` for
    /// writes that change nothing the broker serves (token use), so they do not move the generation. Rows that
    /// `body` creates are linked to its event through `tx.auditSeq`, and the audit head is rewritten over the new
    /// state whenever an event is appended or the configuration changes.
    @discardableResult
    func writeReturning<T>(
        changesConfiguration: Bool = true, _ body: (VaultTransaction) throws -> (T, AuditEvent?)
    ) throws(VaultError) -> T {
        let now = clock()
        let chain = AuditChain(key: keyring.auditKey)
        let term = keyring.kekTerm
        return try store.write(bumpGeneration: changesConfiguration) { transaction in
            var tx = transaction
            if let stored = try tx.metaInt("kek_term"), stored != Int64(term) { throw VaultError.keyRotated }
            tx.auditSeq = try tx.nextAuditSeq()
            let (result, event) = try body(tx)
            if let event {
                try chain.append(event, actor: actor, now: now, in: tx)
            } else if changesConfiguration {
                try chain.resealHead(in: tx)
            }
            return result
        }
    }

    func write(_ body: (VaultTransaction) throws -> AuditEvent?) throws(VaultError) {
        try writeReturning { tx in ((), try body(tx)) }
    }

    func read<T>(_ body: (VaultTransaction) throws -> T) throws(VaultError) -> T {
        try store.read(body)
    }

    /// Whether another process rotated the master key since this handle loaded it (then open the vault again).
    public func isStale() throws(VaultError) -> Bool {
        try read { try KeyMetadata($0) }.kekTerm != keyring.kekTerm
    }

    /// The change counter: it moves on every committed write, whoever made it.
    public func generation() throws(VaultError) -> Int64 {
        try read { try $0.generation() }
    }
}
