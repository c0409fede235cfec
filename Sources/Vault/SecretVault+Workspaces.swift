extension SecretVault {
    /// Creates a workspace with a fresh data key and its first token, named `default`.
    ///
    /// The first workspace of a vault becomes the active one.
    public func createWorkspace(name: String, slug: String? = nil) throws(VaultError) -> (WorkspaceInfo, IssuedToken) {
        let slug = slug ?? Slug.derive(from: name)
        try Slug.validate(slug, what: "workspace slug")
        guard !name.isEmpty, name.count <= 200 else {
            throw VaultError(.invalidInput, "the workspace name must be 1 to 200 characters")
        }
        let dataKey = SecureBytes.random(count: KeyFile.keyCount)
        let token = AccessToken.generate()
        let tokenHash = AccessToken.hash(token, key: keyring.tokenHashKey)
        let now = clock()
        let (workspace, tokenInfo) = try writeReturning { tx in
            guard try tx.workspace(slug: slug) == nil else {
                throw VaultError(
                    .refused, "workspace '\(slug)' already exists", remedy: "choose another name or pass --slug")
            }
            let id = try tx.insertWorkspace(slug: slug, name: name, dataKeyTerm: 1, now: now)
            let sealed = dataKey.withUnsafeBytes {
                SealedBlob.seal(
                    $0, key: keyring.kek, keyTerm: keyring.kekTerm,
                    associatedData: AssociatedData.dataKey(workspaceID: id, term: 1))
            }
            try tx.insertDataKey(workspaceID: id, term: 1, sealed: sealed.bytes, now: now)
            if try tx.activeWorkspace() == nil { try tx.setActiveWorkspace(id: id) }
            let tokenID = try tx.insertToken(
                kind: .workspace, workspaceID: id, name: "default", hash: tokenHash, featureSets: [], expiresAt: nil,
                now: now)
            let workspace = try tx.workspace(slug: slug)!
            let info = try tx.tokens(where: "t.id = ?", [tokenID])[0]
            return ((workspace, info), AuditEvent(event: "workspace.create", workspace: slug, target: "token default"))
        }
        return (workspace, IssuedToken(info: tokenInfo, token: token))
    }

    public func workspaces() throws(VaultError) -> [WorkspaceInfo] {
        try read { try $0.workspaces() }
    }

    /// The named workspace, or the active one when `slug` is nil.
    public func workspace(_ slug: String?) throws(VaultError) -> WorkspaceInfo {
        try read { tx in try Self.resolveWorkspace(slug, in: tx) }
    }

    static func resolveWorkspace(_ slug: String?, in tx: VaultTransaction) throws -> WorkspaceInfo {
        guard let slug else {
            guard let active = try tx.activeWorkspace() else {
                throw VaultError(
                    .notFound, "no active workspace",
                    remedy:
                        "pass --workspace SLUG, or run `sealgate workspace use SLUG` (see `sealgate workspace list`)")
            }
            return active
        }
        guard let workspace = try tx.workspace(slug: slug) else {
            throw VaultError(
                .notFound, "no workspace '\(slug.prefix(80))'", remedy: "see `sealgate workspace list` for the slugs")
        }
        return workspace
    }

    /// Makes `slug` the active workspace, which `/active/...` clients follow.
    public func useWorkspace(_ slug: String) throws(VaultError) {
        try write { tx in
            let workspace = try Self.resolveWorkspace(slug, in: tx)
            try tx.setActiveWorkspace(id: workspace.id)
            return AuditEvent(event: "workspace.use", workspace: slug)
        }
    }

    /// Crypto-shreds a workspace: its data keys, secrets, tokens, grants and FeatureSets go in one transaction,
    /// then the WAL is checkpointed and truncated so no freed page keeps their bytes.
    ///
    /// Returns false when another process's read transaction kept the WAL from being truncated: the deletion is
    /// committed, but freed pages stay in `vault.db-wal` until a later checkpoint.
    @discardableResult
    public func deleteWorkspace(_ slug: String) throws(VaultError) -> Bool {
        try write { tx in
            let workspace = try Self.resolveWorkspace(slug, in: tx)
            try tx.deleteWorkspace(id: workspace.id)
            return AuditEvent(event: "workspace.delete", workspace: slug)
        }
        return try store.checkpointAndTruncate()
    }
}
