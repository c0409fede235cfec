import AsyncHTTPClient
import Logging
import OAuth
import Vault

/// Refreshes OAuth grants for the broker's HTTP upstreams: one refresh at a time per (workspace, server), so that
/// the many sessions of one server, sharing a refresh token the authorization server rotates, never race each other
/// into `invalid_grant`; and only over the tokens it read, so a login made meanwhile always wins.
actor OAuthRefresher {
    enum Outcome: Sendable, Equatable {
        /// The grant has newer tokens than the stale version (refreshed now, by another caller, or a new login).
        case renewed
        /// Refreshing failed for good: only `sealgate oauth login` helps. The grant is marked so.
        case needsLogin(String)
        /// Refreshing failed for now (the authorization server unreachable or erring): try again later.
        case failed(String)
    }

    private struct Key: Hashable {
        let workspace: String
        let server: String
    }

    private let vault: VaultService
    private let http: OAuthHTTP
    private let logger: Logger
    private let counters: BrokerCounters
    private var running: [Key: Task<Outcome, Never>] = [:]

    init(vault: VaultService, client: HTTPClient, logger: Logger, counters: BrokerCounters) {
        self.vault = vault
        self.http = OAuthHTTP(client: client)
        self.logger = logger
        self.counters = counters
    }

    /// Makes sure the grant has tokens newer than `stale`, refreshing them unless another caller already did (or is
    /// doing so now: then this waits for that refresh instead of starting its own).
    func renew(workspace: String, server: String, stale: Int64) async -> Outcome {
        let key = Key(workspace: workspace, server: server)
        if let task = running[key] { return await task.value }
        let task = Task { await self.refresh(key, stale: stale) }
        running[key] = task
        let outcome = await task.value
        running[key] = nil
        return outcome
    }

    private func refresh(_ key: Key, stale: Int64) async -> Outcome {
        let grant: OAuthGrant
        do {
            guard let found = try await vault.oauthGrant(server: key.server, workspace: key.workspace) else {
                return .needsLogin("no one is logged in")
            }
            grant = found
        } catch {
            return .failed("the vault could not be read: \(error.message)")
        }
        if grant.tokensVersion != stale {
            return grant.tokens.needsLogin ? .needsLogin(grant.tokens.failure ?? "") : .renewed
        }
        if grant.tokens.needsLogin { return .needsLogin(grant.tokens.failure ?? "") }
        let login = grant.login
        let endpoint = TokenEndpoint(http: http, issuer: login.issuer, tokenURL: login.tokenEndpoint)
        let client = ClientCredentials(
            clientID: login.clientID, clientSecret: login.clientSecret, method: login.clientAuthentication)
        let now = OAuthCredentials.nowMilliseconds()
        let response: TokenResponse
        do throws(OAuthFailure) {
            if login.grantType == "client_credentials" {
                response = try await endpoint.clientCredentials(
                    resource: login.resource, scopes: login.scopes, client: client)
            } else {
                guard let refreshToken = grant.tokens.refreshToken else {
                    return await markNeedsLogin(grant, key, "the authorization server issued no refresh token")
                }
                response = try await endpoint.refresh(refreshToken, resource: login.resource, client: client)
            }
        } catch {
            counters.count(.oauthRefreshFailed, workspace: key.workspace, server: key.server)
            // Only a refusal of the grant itself is final; a client refusal may be a misconfiguration the operator
            // fixes by setting OAUTH_CLIENT_SECRET, and anything else may pass.
            if error.kind == .invalidGrant { return await markNeedsLogin(grant, key, error.message) }
            logger.warning(
                "OAuth refresh failed; will try again",
                metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)", "error": "\(error.message)"])
            return .failed(error.description)
        }
        let tokens = OAuthTokens(
            accessToken: response.accessToken,
            // A response without a refresh token keeps the old one (RFC 6749 §6: the server may not rotate it).
            refreshToken: response.refreshToken ?? grant.tokens.refreshToken,
            expiresAt: response.expiresIn.map { now + Int64($0 * 1000) },
            scopes: response.scopes ?? grant.tokens.scopes,
            obtainedAt: grant.tokens.obtainedAt, refreshedAt: now)
        do {
            _ = try await vault.replaceOAuthTokens(tokens, of: grant, server: key.server, workspace: key.workspace)
        } catch {
            // The new tokens are lost; with a rotating refresh token the grant may be too. Said loudly.
            logger.error(
                "OAuth tokens refreshed but not stored",
                metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)", "error": "\(error.message)"])
            return .failed("the refreshed tokens could not be stored: \(error.message)")
        }
        counters.count(.oauthRefreshed, workspace: key.workspace, server: key.server)
        logger.info("OAuth tokens refreshed", metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)"])
        return .renewed
    }

    private func markNeedsLogin(_ grant: OAuthGrant, _ key: Key, _ reason: String) async -> Outcome {
        var tokens = grant.tokens
        (tokens.accessToken, tokens.refreshToken, tokens.needsLogin, tokens.failure) = (nil, nil, true, reason)
        _ = try? await vault.replaceOAuthTokens(tokens, of: grant, server: key.server, workspace: key.workspace)
        logger.error(
            "OAuth grant refused for good; the server needs a new login",
            metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)", "reason": "\(reason)"])
        return .needsLogin(reason)
    }
}
