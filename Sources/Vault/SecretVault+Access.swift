/// Workspace tokens, clients and their grants, FeatureSets.
extension SecretVault {
    public func createWorkspaceToken(
        workspace: String, name: String, featureSets: [String], ttl: Int64?
    ) throws(VaultError) -> IssuedToken {
        try Slug.validate(name, what: "token name")
        let token = AccessToken.generate()
        let hash = AccessToken.hash(token, key: keyring.tokenHashKey)
        let now = clock()
        let info = try writeReturning { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            try Self.requireFeatureSets(featureSets, in: ws, tx)
            // Revoked tokens keep their rows (and their audit links) but not their names.
            guard
                try tx.tokens(where: "t.workspace_id = ? AND t.name = ? AND t.revoked_at IS NULL", [ws.id, name])
                    .isEmpty
            else {
                throw VaultError(
                    .refused, "workspace '\(ws.slug)' already has a token named '\(name)'",
                    remedy:
                        "choose another --name, or revoke it first (`sealgate workspace token revoke \(ws.slug) \(name)`)"
                )
            }
            let id = try tx.insertToken(
                kind: .workspace, workspaceID: ws.id, name: name, hash: hash, featureSets: featureSets,
                expiresAt: ttl.map { now + $0 }, now: now)
            return (
                try tx.tokens(where: "t.id = ?", [id])[0],
                AuditEvent(event: "token.create", workspace: ws.slug, target: name)
            )
        }
        return IssuedToken(info: info, token: token)
    }

    /// The workspace's tokens, by name; revoked ones only when `includeRevoked` (a name may then appear more than
    /// once: at most one of its tokens is not revoked).
    public func workspaceTokens(workspace: String, includeRevoked: Bool = false) throws(VaultError) -> [TokenInfo] {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            return try tx.tokens(
                where: "t.workspace_id = ?" + (includeRevoked ? "" : " AND t.revoked_at IS NULL"), [ws.id])
        }
    }

    public func revokeWorkspaceToken(workspace: String, name: String) throws(VaultError) {
        let now = clock()
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let named = try tx.tokens(where: "t.workspace_id = ? AND t.name = ?", [ws.id, name])
            guard let token = named.first(where: { $0.revokedAt == nil }) else {
                if !named.isEmpty {
                    throw VaultError(.refused, "token '\(name)' is already revoked", remedy: "nothing to do")
                }
                throw VaultError(
                    .notFound, "workspace '\(ws.slug)' has no token named '\(name)'",
                    remedy: "see `sealgate workspace token list \(ws.slug)`")
            }
            try tx.revokeToken(id: token.id, now: now)
            return AuditEvent(event: "token.revoke", workspace: ws.slug, target: name)
        }
    }

    /// Checks a presented bearer token: usable (not expired or revoked) tokens only; records the use, and
    /// audits a failed attempt. The hash lookup is keyed, and the final comparison is constant-time.
    public func authenticate(token presented: SecretValue) throws(VaultError) -> TokenInfo {
        try authenticateListed(token: presented).info
    }

    /// `authenticate`, with the token's hash as `configuration()` lists it: the one thing that tells this token
    /// from another given its name after it was revoked, for a gateway whose copy of the configuration may lag.
    public func authenticateListed(token presented: SecretValue) throws(VaultError) -> (info: TokenInfo, hash: String) {
        let hash = AccessToken.hash(presented, key: keyring.tokenHashKey)
        let now = clock()
        let outcome: TokenInfo? = try writeReturning(changesConfiguration: false) { tx in
            guard AccessToken.looksValid(presented), let found = try tx.token(hash: hash),
                Sodium.constantTimeEquals(found.hash, hash), found.info.isUsable(now: now)
            else {
                return (nil, AuditEvent(event: "token.failed", detail: "unknown, expired or revoked token"))
            }
            try tx.touchToken(id: found.info.id, now: now)
            return (found.info, nil)
        }
        guard let outcome else {
            throw VaultError(.refused, "the token is unknown, expired or revoked", remedy: "use a valid mwt_ token")
        }
        return (outcome, AccessToken.listed(hash))
    }

    // Clients.

    public func createClient(name: String, ttl: Int64?) throws(VaultError) -> IssuedToken {
        try Slug.validate(name, what: "client name")
        let token = AccessToken.generate()
        let hash = AccessToken.hash(token, key: keyring.tokenHashKey)
        let now = clock()
        let info = try writeReturning { tx in
            guard try tx.tokens(where: "t.kind = 'client' AND t.name = ? AND t.revoked_at IS NULL", [name]).isEmpty
            else {
                throw VaultError(
                    .refused, "client '\(name)' already exists",
                    remedy: "choose another name, or revoke it first (`sealgate client revoke \(name)`)")
            }
            let id = try tx.insertToken(
                kind: .client, workspaceID: nil, name: name, hash: hash, featureSets: [],
                expiresAt: ttl.map { now + $0 }, now: now)
            return (try tx.tokens(where: "t.id = ?", [id])[0], AuditEvent(event: "client.create", target: name))
        }
        return IssuedToken(info: info, token: token)
    }

    /// Grants the client access to a workspace through the named FeatureSets (`all` when none); replaces an
    /// earlier grant in the same workspace.
    public func grant(client: String, workspace: String, featureSets: [String]) throws(VaultError) {
        let now = clock()
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let token = try Self.resolveClient(client, in: tx)
            let sets = featureSets.isEmpty ? [FeatureSet.allName] : featureSets
            try Self.requireFeatureSets(sets, in: ws, tx)
            try tx.upsertGrant(tokenID: token.id, workspaceID: ws.id, featureSets: sets, now: now)
            return AuditEvent(
                event: "client.grant", workspace: ws.slug, target: client, detail: sets.joined(separator: ","))
        }
    }

    public func revokeGrant(client: String, workspace: String) throws(VaultError) {
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let token = try Self.resolveClient(client, in: tx)
            guard try tx.deleteGrant(tokenID: token.id, workspaceID: ws.id) else {
                throw VaultError(
                    .notFound, "client '\(client)' has no grant in '\(ws.slug)'", remedy: "see `sealgate client list`")
            }
            return AuditEvent(event: "client.revoke-grant", workspace: ws.slug, target: client)
        }
    }

    /// The clients, by name; revoked ones only when `includeRevoked` (then a name may appear more than once).
    public func clients(includeRevoked: Bool = false) throws(VaultError) -> [ClientInfo] {
        try read { tx in
            try tx.tokens(where: "t.kind = 'client'" + (includeRevoked ? "" : " AND t.revoked_at IS NULL")).map {
                ClientInfo(token: $0, grants: try tx.grants(tokenID: $0.id))
            }
        }
    }

    /// Revokes a client: its token stops working, and the row stays (with its grants) as a record, marked
    /// revoked; its name is free for a new client.
    public func revokeClient(name: String) throws(VaultError) {
        let now = clock()
        try write { tx in
            let token = try Self.resolveClient(name, in: tx)
            try tx.revokeToken(id: token.id, now: now)
            return AuditEvent(event: "client.revoke", target: name)
        }
    }

    /// Deletes a client: its token stops working and its grants go.
    public func deleteClient(name: String) throws(VaultError) {
        try write { tx in
            let token = try Self.resolveClient(name, in: tx)
            try tx.deleteToken(id: token.id)
            return AuditEvent(event: "client.delete", target: name)
        }
    }

    /// The client of that name that is not revoked: a revoked one can be neither granted nor deleted.
    static func resolveClient(_ name: String, in tx: VaultTransaction) throws -> TokenInfo {
        guard
            let token = try tx.tokens(where: "t.kind = 'client' AND t.name = ? AND t.revoked_at IS NULL", [name]).first
        else {
            throw VaultError(.notFound, "no client '\(name.prefix(80))'", remedy: "see `sealgate client list`")
        }
        return token
    }

    // FeatureSets.

    public func createFeatureSet(_ set: FeatureSet, workspace: String?) throws(VaultError) {
        try set.validate()
        guard !set.isBuiltIn else {
            throw VaultError(.refused, "'all' is built in", remedy: "choose another FeatureSet name")
        }
        let now = clock()
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            guard try !tx.featureSets(workspaceID: ws.id).contains(where: { $0.name == set.name }) else {
                throw VaultError(
                    .refused, "FeatureSet '\(set.name)' already exists in '\(ws.slug)'",
                    remedy: "delete it first or choose another name")
            }
            try tx.insertFeatureSet(set, workspaceID: ws.id, now: now)
            return AuditEvent(event: "featureset.create", workspace: ws.slug, target: set.name)
        }
    }

    /// The workspace's FeatureSets, the built-in `all` first.
    public func featureSets(workspace: String?) throws(VaultError) -> (WorkspaceInfo, [FeatureSet]) {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            return (ws, [FeatureSet.all] + (try tx.featureSets(workspaceID: ws.id)))
        }
    }

    /// Refuses while a token or grant still names the FeatureSet, since dropping it would widen nothing but
    /// would silently change what they allow.
    public func deleteFeatureSet(name: String, workspace: String?) throws(VaultError) {
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            guard name != FeatureSet.allName else {
                throw VaultError(.refused, "'all' is built in and cannot be deleted")
            }
            guard try tx.featureSets(workspaceID: ws.id).contains(where: { $0.name == name }) else {
                throw VaultError(
                    .notFound, "no FeatureSet '\(name)' in '\(ws.slug)'", remedy: "see `sealgate featureset list`")
            }
            let users = try tx.featureSetUsers(name: name, workspaceID: ws.id)
            guard users.isEmpty else {
                throw VaultError(
                    .refused, "FeatureSet '\(name)' is used by \(users.joined(separator: ", "))",
                    remedy: "revoke those tokens or grants first")
            }
            try tx.deleteFeatureSet(name: name, workspaceID: ws.id)
            return AuditEvent(event: "featureset.delete", workspace: ws.slug, target: name)
        }
    }

    static func requireFeatureSets(_ names: [String], in ws: WorkspaceInfo, _ tx: VaultTransaction) throws {
        let known = Set(try tx.featureSets(workspaceID: ws.id).map(\.name) + [FeatureSet.allName])
        for name in names where !known.contains(name) {
            throw VaultError(
                .notFound, "no FeatureSet '\(name.prefix(80))' in '\(ws.slug)'",
                remedy: "create it with `sealgate featureset create \(name) --workspace \(ws.slug)`")
        }
    }
}
