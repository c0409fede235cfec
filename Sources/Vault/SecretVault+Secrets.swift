extension SecretVault {
    /// Stores `value` as a new version of (workspace, server, name) and makes it current.
    @discardableResult
    public func setSecret(
        server: String, name: String, value: SecretValue, workspace: String?
    ) throws(VaultError) -> Int64 {
        try Slug.validateVariableName(name)
        guard !value.isEmpty else {
            throw VaultError(.invalidInput, "the secret value is empty", remedy: "pipe a non-empty value on stdin")
        }
        let now = clock()
        var pruned = false
        // Best effort: the new version is committed either way; a checkpoint that fails (or a reader that holds the
        // WAL) only delays the moment the dropped version's pages leave the WAL.
        defer { if pruned { _ = try? store.checkpointAndTruncate() } }
        return try writeReturning { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            _ = try Self.resolveServer(server, in: tx)
            let version: Int64
            (version, pruned) = try value.withUnsafeBytes { bytes in
                try appendVersion(bytes, ws, server, name, rolledBackFrom: nil, keep: Self.keptVersions, now: now, tx)
            }
            return (
                version,
                AuditEvent(event: "secret.set", workspace: ws.slug, target: "\(server)/\(name)", detail: "v\(version)")
            )
        }
    }

    /// Names and versions in a workspace, optionally of one server. Never values.
    public func secrets(server: String?, workspace: String?) throws(VaultError) -> (WorkspaceInfo, [SecretInfo]) {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            return (ws, try tx.secrets(workspaceID: ws.id, server: server))
        }
    }

    public func secretHistory(
        server: String, name: String, workspace: String?
    ) throws(VaultError) -> [SecretVersionInfo] {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let current = try Self.resolveSecret(ws, server, name, in: tx)
            return try tx.secretHistory(workspaceID: ws.id, server: server, name: name, current: current)
        }
    }

    /// Rolls back by copying version `target` into a new version that becomes current; history only grows,
    /// so a rollback is itself visible and can be rolled back.
    @discardableResult
    public func rollbackSecret(
        server: String, name: String, to target: Int64, workspace: String?
    ) throws(VaultError) -> Int64 {
        let now = clock()
        var pruned = false
        defer { if pruned { _ = try? store.checkpointAndTruncate() } }  // best effort, as in setSecret
        guard !OAuthGrant.isReserved(name) else {
            throw VaultError(
                .refused, "\(server)/\(name) holds an OAuth grant, which is rolled back by logging in again",
                remedy: "run `sealgate oauth login \(server)`")
        }
        return try writeReturning { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            _ = try Self.resolveSecret(ws, server, name, in: tx)
            guard let old = try tx.sealedSecret(workspaceID: ws.id, server: server, name: name, version: target) else {
                throw VaultError(
                    .notFound, "version \(target) of \(server)/\(name) is not kept",
                    remedy: "see `sealgate secrets history \(server) \(name)` for the versions kept")
            }
            let plaintext = try openSecret(old, workspace: ws, server: server, name: name, version: target, in: tx)
            let version: Int64
            (version, pruned) = try plaintext.withUnsafeBytes { bytes in
                try appendVersion(
                    bytes, ws, server, name, rolledBackFrom: target, keep: Self.keptVersions, now: now, tx)
            }
            let event = AuditEvent(
                event: "secret.rollback", workspace: ws.slug, target: "\(server)/\(name)",
                detail: "v\(version) from v\(target)")
            return (version, event)
        }
    }

    /// Destroys every version of a secret, then truncates the WAL so none of its ciphertext lingers.
    /// Returns false when a reader kept the WAL from being truncated (see `deleteWorkspace`).
    @discardableResult
    public func removeSecret(server: String, name: String, workspace: String?) throws(VaultError) -> Bool {
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            _ = try Self.resolveSecret(ws, server, name, in: tx)
            _ = try tx.deleteSecret(workspaceID: ws.id, server: server, name: name)
            return AuditEvent(event: "secret.delete", workspace: ws.slug, target: "\(server)/\(name)")
        }
        return try store.checkpointAndTruncate()
    }

    /// Decrypts the current value. For the broker at injection time and for `run`; the CLI never prints it.
    public func unsealSecret(server: String, name: String, workspace: String) throws(VaultError) -> SecretValue {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let version = try Self.resolveSecret(ws, server, name, in: tx)
            guard let sealed = try tx.sealedSecret(workspaceID: ws.id, server: server, name: name, version: version)
            else { throw VaultError.integrity("secret \(server)/\(name) (current version missing)") }
            let plaintext = try openSecret(sealed, workspace: ws, server: server, name: name, version: version, in: tx)
            return SecretValue(storage: plaintext)
        }
    }

    /// Opens every kept version of every secret (of one workspace, or all). Returns how many opened;
    /// throws an integrity error naming the first that did not.
    public func verifySecrets(workspace: String?) throws(VaultError) -> Int {
        try read { tx in
            let targets = try workspace.map { [try Self.resolveWorkspace($0, in: tx)] } ?? tx.workspaces()
            var count = 0
            for ws in targets {
                for row in try tx.allSecretVersions(workspaceID: ws.id) {
                    _ = try openSecret(
                        row.sealed, workspace: ws, server: row.server, name: row.name, version: row.version, in: tx)
                    count += 1
                }
            }
            return count
        }
    }

    static func resolveSecret(_ ws: WorkspaceInfo, _ server: String, _ name: String, in tx: VaultTransaction) throws
        -> Int64
    {
        guard let version = try tx.currentSecretVersion(workspaceID: ws.id, server: server, name: name) else {
            throw VaultError(
                .notFound, "no secret \(server)/\(name) in workspace '\(ws.slug)'",
                remedy: "see `sealgate secrets list --workspace \(ws.slug)`")
        }
        return version
    }

    /// Seals `plaintext` as the next version of (workspace, server, name), makes it current and drops all but the
    /// newest `keep` versions. Returns the version and whether an old one was dropped.
    func appendVersion(
        _ plaintext: UnsafeRawBufferPointer, _ ws: WorkspaceInfo, _ server: String, _ name: String,
        rolledBackFrom: Int64?, keep: Int, now: Int64, _ tx: VaultTransaction
    ) throws -> (version: Int64, pruned: Bool) {
        let version = try tx.latestSecretVersion(workspaceID: ws.id, server: server, name: name) + 1
        let sealed = try sealSecret(plaintext, workspace: ws, server: server, name: name, version: version, in: tx)
        let pruned = try tx.insertSecretVersion(
            workspaceID: ws.id, server: server, name: name, version: version, sealed: sealed, actor: actor,
            rolledBackFrom: rolledBackFrom, keep: keep, now: now)
        return (version, pruned)
    }

    // Sealing with the workspace's data key.

    func dataKey(for ws: WorkspaceInfo, term: UInt32, in tx: VaultTransaction) throws -> SecureBytes {
        let what = "the data key of workspace '\(ws.slug)'"
        guard let stored = try tx.dataKey(workspaceID: ws.id, term: term) else {
            throw VaultError.integrity("\(what) (term \(term) missing)")
        }
        let blob = try SealedBlob(parsing: stored, what: what)
        guard blob.keyTerm == keyring.kekTerm else {
            if try tx.metaInt("kek_term") != Int64(keyring.kekTerm) { throw VaultError.keyRotated }
            throw VaultError.integrity("\(what) (wrong key term)")
        }
        return try blob.open(
            key: keyring.kek, associatedData: AssociatedData.dataKey(workspaceID: ws.id, term: term), what: what)
    }

    func sealSecret(
        _ plaintext: UnsafeRawBufferPointer, workspace ws: WorkspaceInfo, server: String, name: String, version: Int64,
        in tx: VaultTransaction
    ) throws -> [UInt8] {
        let key = try dataKey(for: ws, term: ws.dataKeyTerm, in: tx)
        let ad = AssociatedData.secret(workspaceID: ws.id, server: server, name: name, version: version)
        return SealedBlob.seal(plaintext, key: key, keyTerm: ws.dataKeyTerm, associatedData: ad).bytes
    }

    func openSecret(
        _ stored: [UInt8], workspace ws: WorkspaceInfo, server: String, name: String, version: Int64,
        in tx: VaultTransaction
    ) throws -> SecureBytes {
        let what = "secret \(server)/\(name) v\(version) in '\(ws.slug)'"
        let blob = try SealedBlob(parsing: stored, what: what)
        let key = try dataKey(for: ws, term: blob.keyTerm, in: tx)
        let ad = AssociatedData.secret(workspaceID: ws.id, server: server, name: name, version: version)
        return try blob.open(key: key, associatedData: ad, what: what)
    }
}
