import Foundation

/// OAuth grants of (workspace, server), stored as sealed secrets under reserved names (`OAuthGrant.loginName`, …):
/// the same envelope encryption, versions, audit and crypto-shredding as any secret, and never injected as one.
extension SecretVault {
    /// Versions kept of each OAuth record: enough to see the last refreshes, few enough that old refresh tokens do
    /// not pile up (every refresh writes one).
    static let keptOAuthVersions = 3

    /// The current login and tokens, or nil when there was no login (or after a logout).
    public func oauthGrant(server: String, workspace: String?) throws(VaultError) -> OAuthGrant? {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            guard let (login, loginVersion) = try openRecord(OAuthLogin.self, OAuthGrant.loginName, ws, server, tx),
                let (tokens, tokensVersion) = try openRecord(OAuthTokens.self, OAuthGrant.tokensName, ws, server, tx)
            else { return nil }
            return OAuthGrant(login: login, tokens: tokens, loginVersion: loginVersion, tokensVersion: tokensVersion)
        }
    }

    /// The client `oauth login` registered for this server, if any.
    public func oauthClientRegistration(server: String, workspace: String?) throws(VaultError)
        -> OAuthClientRegistration?
    {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            return try openRecord(OAuthClientRegistration.self, OAuthGrant.clientName, ws, server, tx)?.0
        }
    }

    /// Stores a dynamically registered client, audited as `oauth.register`.
    public func saveOAuthClientRegistration(
        _ registration: OAuthClientRegistration, server: String, workspace: String?
    ) throws(VaultError) {
        let now = clock()
        try writeReturning(changesConfiguration: false) { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            _ = try Self.resolveServer(server, in: tx)
            let version = try sealRecord(registration, OAuthGrant.clientName, ws, server, tx, now: now)
            return (
                (),
                AuditEvent(
                    event: "oauth.register", workspace: ws.slug, target: server,
                    detail: "\(OAuthGrant.clientName) v\(version); issuer \(registration.issuer)")
            )
        }
    }

    /// Stores a new login with its first tokens, replacing any earlier grant, audited as `oauth.login`. Moves the
    /// generation, so a running broker picks the login up at its next poll.
    @discardableResult
    public func saveOAuthLogin(
        _ login: OAuthLogin, tokens: OAuthTokens, server: String, workspace: String?
    ) throws(VaultError) -> OAuthGrant {
        let now = clock()
        var login = login
        login.id = ProofKey.randomText(byteCount: 16)
        return try writeReturning { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            _ = try Self.resolveServer(server, in: tx)
            let loginVersion = try sealRecord(login, OAuthGrant.loginName, ws, server, tx, now: now)
            let tokensVersion = try sealRecord(tokens, OAuthGrant.tokensName, ws, server, tx, now: now)
            let grant = OAuthGrant(
                login: login, tokens: tokens, loginVersion: loginVersion, tokensVersion: tokensVersion)
            let scopes = (tokens.scopes ?? login.scopes).joined(separator: ",")
            return (
                grant,
                AuditEvent(
                    event: "oauth.login", workspace: ws.slug, target: server,
                    detail:
                        "\(OAuthGrant.loginName) v\(loginVersion) \(OAuthGrant.tokensName) v\(tokensVersion); \(login.grantType) issuer \(login.issuer) scopes \(scopes.isEmpty ? "-" : scopes)"
                )
            )
        }
    }

    /// Replaces the tokens of the grant `read` was, audited as `oauth.refresh` (or `oauth.needs_login` when
    /// `tokens.needsLogin`). Returns nil, writing nothing, when the grant changed since `read` (a new login, a
    /// logout, another refresh): what was refreshed from it is stale, and the newer grant wins.
    public func replaceOAuthTokens(
        _ tokens: OAuthTokens, of read: OAuthGrant, server: String, workspace: String
    ) throws(VaultError) -> OAuthGrant? {
        let now = clock()
        return try writeReturning(changesConfiguration: false) { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            guard
                try tx.currentSecretVersion(workspaceID: ws.id, server: server, name: OAuthGrant.tokensName)
                    == read.tokensVersion,
                let (current, loginVersion) = try openRecord(OAuthLogin.self, OAuthGrant.loginName, ws, server, tx),
                loginVersion == read.loginVersion, current.id == read.login.id
            else { return (nil, nil) }
            let version = try sealRecord(tokens, OAuthGrant.tokensName, ws, server, tx, now: now)
            let detail =
                tokens.needsLogin
                ? "\(OAuthGrant.tokensName) v\(version); \(tokens.failure ?? "refresh refused")"
                : "\(OAuthGrant.tokensName) v\(version); expires \(tokens.expiresAt.map { "\($0 / 1000)" } ?? "-")"
            return (
                OAuthGrant(login: read.login, tokens: tokens, loginVersion: read.loginVersion, tokensVersion: version),
                AuditEvent(
                    event: tokens.needsLogin ? "oauth.needs_login" : "oauth.refresh", workspace: ws.slug,
                    target: server, detail: detail)
            )
        }
    }

    /// Destroys the login and its tokens (every version), audited as `oauth.logout`, then truncates the WAL as
    /// `removeSecret` does. The registered client stays, for the next login. Returns false when there was none.
    @discardableResult
    public func removeOAuthGrant(server: String, workspace: String?) throws(VaultError) -> Bool {
        let removed = try writeReturning { tx -> (Bool, AuditEvent?) in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let login = try tx.deleteSecret(workspaceID: ws.id, server: server, name: OAuthGrant.loginName)
            let tokens = try tx.deleteSecret(workspaceID: ws.id, server: server, name: OAuthGrant.tokensName)
            guard login || tokens else { return (false, nil) }
            return (true, AuditEvent(event: "oauth.logout", workspace: ws.slug, target: server))
        }
        if removed { _ = try? store.checkpointAndTruncate() }  // best effort, as in setSecret
        return removed
    }

    // MARK: Sealed JSON records

    private func sealRecord<T: Encodable>(
        _ record: T, _ name: String, _ ws: WorkspaceInfo, _ server: String, _ tx: VaultTransaction, now: Int64
    ) throws -> Int64 {
        var json = try JSONEncoder().encode(record)
        defer { json.resetBytes(in: 0..<json.count) }
        return try json.withUnsafeBytes { bytes in
            try appendVersion(bytes, ws, server, name, rolledBackFrom: nil, keep: Self.keptOAuthVersions, now: now, tx)
        }.version
    }

    private func openRecord<T: Decodable>(
        _ type: T.Type, _ name: String, _ ws: WorkspaceInfo, _ server: String, _ tx: VaultTransaction
    ) throws -> (T, Int64)? {
        guard let version = try tx.currentSecretVersion(workspaceID: ws.id, server: server, name: name) else {
            return nil
        }
        guard let sealed = try tx.sealedSecret(workspaceID: ws.id, server: server, name: name, version: version) else {
            throw VaultError.integrity("secret \(server)/\(name) (current version missing)")
        }
        let plaintext = try openSecret(sealed, workspace: ws, server: server, name: name, version: version, in: tx)
        let record = plaintext.withUnsafeBytes { bytes in
            try? JSONDecoder().decode(type, from: Data(bytes))
        }
        guard let record else { throw VaultError.integrity("secret \(server)/\(name) v\(version) (not a record)") }
        return (record, version)
    }
}
