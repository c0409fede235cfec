extension SecretVault {
    /// Re-wraps every data key (and the root) under a new key-encryption key, in one transaction.
    ///
    /// Key-file vaults: the new key goes to `key.next` first, the database commits, then `key.next` replaces
    /// `key`; `open` finishes or discards an interrupted rotation by comparing key terms. Passphrase vaults
    /// keep their passphrase and get a fresh salt (so a fresh key) inside the same transaction.
    ///
    /// Returns false when a reader kept the WAL from being truncated (see `deleteWorkspace`).
    @discardableResult
    public func rotateMasterKey() throws(VaultError) -> Bool {
        guard home.keyFile.exists else {
            throw VaultError(
                .refused, "this vault unlocks with a passphrase",
                remedy: "its key is re-derived with a fresh salt by `sealgate keys rotate` with the passphrase")
        }
        try home.keyLock.withLock(.exclusive) { () throws(VaultError) in
            // Under the lock no other rotation runs; one that ran since this handle opened makes it stale.
            guard try read({ try KeyMetadata($0) }).kekTerm == keyring.kekTerm else { throw VaultError.keyRotated }
            let newTerm = keyring.kekTerm &+ 1
            let newKEK = SecureBytes.random(count: KeyFile.keyCount)
            home.pendingKeyFile.remove()
            try home.pendingKeyFile.write(term: newTerm, key: newKEK)
            do throws(VaultError) {
                try rewrapAll(under: newKEK, term: newTerm, salt: nil)
            } catch {
                // A refusal or integrity failure happened before the commit. An internal (I/O) failure may have
                // come from the commit itself, so key.next stays: the next open keeps it if the term moved.
                if error.code != .internalFailure { home.pendingKeyFile.remove() }
                throw error
            }
            try home.pendingKeyFile.rename(over: home.keyFile)
        }
        // The data keys' old wrappings sit in freed pages until the WAL is truncated.
        return try store.checkpointAndTruncate()
    }

    /// Re-derives a passphrase vault's key from `passphrase` (the same or a new one) with a fresh salt, keeping the
    /// vault's Argon2id limits unless `kdf` names others.
    @discardableResult
    public func rotatePassphrase(_ passphrase: SecretValue, kdf: PassphraseKDF? = nil) throws(VaultError) -> Bool {
        guard !home.keyFile.exists else {
            throw VaultError(.refused, "this vault unlocks with a key file", remedy: "run `sealgate keys rotate`")
        }
        guard !passphrase.isEmpty else { throw VaultError(.invalidInput, "the passphrase is empty") }
        let limits: PassphraseKDF
        if let kdf { limits = kdf } else { limits = try storedKDF() }
        let salt = Sodium.randomBytes(PassphraseKDF.saltCount)
        let newKEK = try limits.deriveKey(passphrase: passphrase, salt: salt)
        try rewrapAll(under: newKEK, term: keyring.kekTerm &+ 1, salt: salt, kdf: limits)
        return try store.checkpointAndTruncate()
    }

    private func storedKDF() throws(VaultError) -> PassphraseKDF {
        try read { try PassphraseKDF($0) }
    }

    private func rewrapAll(
        under newKEK: SecureBytes, term newTerm: UInt32, salt: [UInt8]?, kdf: PassphraseKDF = .moderate
    ) throws(VaultError) {
        let oldKEK = keyring.kek
        let oldTerm = keyring.kekTerm
        try write { tx in
            guard try tx.metaInt("kek_term") == Int64(oldTerm) else {
                throw VaultError(.refused, "the key was rotated by another process", remedy: "run the command again")
            }
            var count = 0
            for row in try tx.allDataKeys() {
                let ad = AssociatedData.dataKey(workspaceID: row.workspaceID, term: row.term)
                let blob = try SealedBlob(parsing: row.sealed, what: "a workspace data key")
                guard blob.keyTerm == oldTerm else {
                    throw VaultError.integrity("a workspace data key (wrong key term)")
                }
                let dataKey = try blob.open(key: oldKEK, associatedData: ad, what: "a workspace data key")
                let resealed = dataKey.withUnsafeBytes {
                    SealedBlob.seal($0, key: newKEK, keyTerm: newTerm, associatedData: ad)
                }
                try tx.replaceDataKey(workspaceID: row.workspaceID, term: row.term, sealed: resealed.bytes)
                count += 1
            }
            try tx.setMeta("root_sealed", blob: keyring.sealedRoot(under: newKEK, term: newTerm).bytes)
            try tx.setMeta("kek_term", Int64(newTerm))
            if let salt {
                try tx.setMeta("kdf_salt", blob: salt)
                try tx.setMeta("kdf_ops", Int64(kdf.opsLimit))
                try tx.setMeta("kdf_mem", Int64(kdf.memLimit))
            }
            return AuditEvent(event: "keys.rotate", detail: "master key term \(newTerm), \(count) data keys re-wrapped")
        }
        keyring = keyring.rekeyed(kek: newKEK, term: newTerm)
    }

    /// Re-seals every kept version of the workspace's secrets under a fresh data key, in one transaction,
    /// and destroys the old data key. Returns false when a reader kept the WAL from being truncated.
    @discardableResult
    public func rotateWorkspaceKey(workspace slug: String) throws(VaultError) -> Bool {
        let newKey = SecureBytes.random(count: KeyFile.keyCount)
        let now = clock()
        try write { tx in
            let ws = try Self.resolveWorkspace(slug, in: tx)
            let newTerm = ws.dataKeyTerm &+ 1
            let wrapped = newKey.withUnsafeBytes {
                SealedBlob.seal(
                    $0, key: keyring.kek, keyTerm: keyring.kekTerm,
                    associatedData: AssociatedData.dataKey(workspaceID: ws.id, term: newTerm))
            }
            try tx.insertDataKey(workspaceID: ws.id, term: newTerm, sealed: wrapped.bytes, now: now)
            var count = 0
            for row in try tx.allSecretVersions(workspaceID: ws.id) {
                let plaintext = try openSecret(
                    row.sealed, workspace: ws, server: row.server, name: row.name, version: row.version, in: tx)
                let ad = AssociatedData.secret(
                    workspaceID: ws.id, server: row.server, name: row.name, version: row.version)
                let resealed = plaintext.withUnsafeBytes {
                    SealedBlob.seal($0, key: newKey, keyTerm: newTerm, associatedData: ad)
                }
                try tx.replaceSealedSecret(
                    workspaceID: ws.id, server: row.server, name: row.name, version: row.version, sealed: resealed.bytes
                )
                count += 1
            }
            try tx.setDataKeyTerm(workspaceID: ws.id, term: newTerm)
            try tx.deleteDataKeys(workspaceID: ws.id, except: newTerm)
            return AuditEvent(
                event: "keys.rotate-workspace", workspace: ws.slug,
                detail: "data key term \(newTerm), \(count) secret versions re-sealed")
        }
        return try store.checkpointAndTruncate()
    }

    // Audit.

    /// Audit entries, oldest first; the newest `limit` when given.
    public func auditEntries(workspace: String?, limit: Int? = nil) throws(VaultError) -> [AuditEntry] {
        try read { try $0.auditEntries(workspace: workspace, limit: limit) }
    }

    /// Verifies the whole chain; returns the number of entries, or throws an integrity error.
    public func verifyAudit() throws(VaultError) -> Int {
        try verifyAudit(against: nil).entries
    }

    /// Verifies the chain, that every token, grant, secret version, workspace, server, installation and FeatureSet
    /// has the entry that created it, and the head over the log and the vault's rows; with `recorded` (from
    /// `auditHead()`, kept outside the vault), also that the log still reaches that checkpoint unchanged.
    /// Throws an integrity error naming the first failure.
    public func verifyAudit(against recorded: AuditCheckpoint?) throws(VaultError) -> AuditVerification {
        let chain = AuditChain(key: keyring.auditKey)
        return try read { try chain.verify(in: $0, recorded: recorded) }
    }

    /// The checkpoint of the newest entry, after verifying everything `verifyAudit` does: record it outside the
    /// vault and give it to `verifyAudit(against:)` later.
    public func auditHead() throws(VaultError) -> AuditCheckpoint {
        try verifyAudit(against: nil).head
    }
}

extension Keyring {
    func rekeyed(kek newKEK: SecureBytes, term: UInt32) -> Keyring {
        Keyring(kekTerm: term, kek: newKEK, sharingRootWith: self)
    }
}
