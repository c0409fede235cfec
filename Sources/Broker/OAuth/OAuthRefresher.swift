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
        /// Refreshing failed for now (the authorization server unreachable or erring, or asked again too soon):
        /// try again later.
        case failed(String)
    }

    private struct Key: Hashable {
        let workspace: String
        let server: String
    }

    /// A refresh under way, for the tokens version it replaces.
    private struct Flight {
        let stale: Int64
        let task: Task<Outcome, Never>
    }

    /// After a failed refresh, the next waits this long, doubling up to `longestPause`; a grant refreshed less than
    /// `shortestInterval` ago is not refreshed again. Together they keep an erring authorization server, a token
    /// that lives for no time, or an upstream that answers 401 to everything from turning calls into refreshes.
    static let firstPause: Duration = .seconds(2)
    static let longestPause: Duration = .seconds(300)
    static let shortestInterval: Duration = .seconds(2)

    private let vault: VaultService
    private let http: OAuthHTTP
    private let logger: Logger
    private let counters: BrokerCounters
    private let clock = ContinuousClock()
    private var flights: [Key: Flight] = [:]
    /// Pauses after failures, for the login they happened to: a new login is tried at once.
    private var paused: [Key: (login: String?, until: ContinuousClock.Instant, pause: Duration, outcome: Outcome)] =
        [:]
    private var lastRefresh: [Key: ContinuousClock.Instant] = [:]

    init(vault: VaultService, client: HTTPClient, logger: Logger, counters: BrokerCounters) {
        self.vault = vault
        self.http = OAuthHTTP(client: client)
        self.logger = logger
        self.counters = counters
    }

    /// Makes sure the grant has tokens newer than `stale`, refreshing them unless another caller already did (or is
    /// doing so for the same tokens now: then this waits for that refresh instead of starting its own).
    func renew(workspace: String, server: String, stale: Int64) async -> Outcome {
        let key = Key(workspace: workspace, server: server)
        while let flight = flights[key] {
            let outcome = await flight.task.value
            if flight.stale == stale { return outcome }
        }
        let task = Task {
            let outcome = await self.refresh(key, stale: stale)
            self.landed(key, outcome)
            return outcome
        }
        flights[key] = Flight(stale: stale, task: task)
        return await task.value
    }

    /// Ends a flight before its outcome is seen by anyone, so a caller that waited for it for other tokens finds
    /// no flight on its next look, and starts its own.
    private func landed(_ key: Key, _ outcome: Outcome) {
        flights[key] = nil
        if case .failed = outcome { return }
        paused[key] = nil
    }

    /// The authorization server failed: the next refresh waits, longer after each failure in a row.
    private func pause(_ key: Key, login: String?, after outcome: Outcome) -> Outcome {
        let previous = paused[key].flatMap { $0.login == login ? $0.pause : nil }
        let pause = min((previous ?? Self.firstPause / 2) * 2, Self.longestPause)
        paused[key] = (login, clock.now + pause, pause, outcome)
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
        if grant.tokens.needsLogin { return .needsLogin(grant.tokens.failure ?? "its grant was refused") }
        if grant.tokensVersion != stale { return .renewed }
        if let pause = paused[key], pause.login == grant.login.id, clock.now < pause.until { return pause.outcome }
        if let last = lastRefresh[key], clock.now - last < Self.shortestInterval {
            return .failed("the server refused tokens refreshed moments ago")
        }
        lastRefresh[key] = clock.now
        let login = grant.login
        let endpoint = TokenEndpoint(http: http, issuer: login.issuer, tokenURL: login.tokenEndpoint)
        let client: ClientCredentials
        do {
            client = try await credentials(of: login, key)
        } catch {
            return .failed("the client's secret could not be read: \(error)")
        }
        // What the authorization server says may quote what it was sent: masked before it is logged or stored.
        var sent = OAuthCredentials(grant).bearer.masked
        if let secret = client.clientSecret, login.clientSecret == nil {
            sent.append(
                InjectedSecret(
                    name: OAuthClientSettings.clientSecretName, version: 0, value: SecretValue(unsafeFromString: secret)
                ))
        }
        let masker = SecretMasker(sent)
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
            let said = masker.mask(error.description)
            // Only a refusal of the grant itself is final; a client refusal may be a misconfiguration the operator
            // fixes by setting OAUTH_CLIENT_SECRET, and anything else may pass. A service account has no grant to
            // lose: it asks again later.
            if error.kind == .invalidGrant, login.grantType != "client_credentials" {
                return await markNeedsLogin(grant, key, masker.mask(error.message))
            }
            logger.warning(
                "OAuth refresh failed; will try again",
                metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)", "error": "\(said)"])
            return pause(key, login: login.id, after: .failed(said))
        }
        let tokens = OAuthTokens(
            accessToken: response.accessToken,
            // A response without a refresh token keeps the old one (RFC 6749 §6: the server may not rotate it).
            refreshToken: response.refreshToken ?? grant.tokens.refreshToken,
            expiresAt: response.expiresIn.map { now + Int64($0 * 1000) },
            scopes: response.scopes ?? grant.tokens.scopes,
            obtainedAt: grant.tokens.obtainedAt, refreshedAt: now)
        let stored: OAuthGrant?
        do {
            stored = try await vault.replaceOAuthTokens(tokens, of: grant, server: key.server, workspace: key.workspace)
        } catch {
            // The new tokens are lost; with a rotating refresh token the grant may be too. Said loudly.
            logger.error(
                "OAuth tokens refreshed but not stored",
                metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)", "error": "\(error.message)"])
            return .failed("the refreshed tokens could not be stored: \(error.message)")
        }
        guard stored != nil else {
            // A login or logout came first and wins. After a logout, or a login with another client or at another
            // server, what this refresh obtained is nobody's and is revoked; after a login with the same client it
            // is left alone, since revoking it may revoke the whole grant, the new login's included (RFC 7009 §2.1).
            let now = try? await vault.oauthGrant(server: key.server, workspace: key.workspace)
            if now.map({ $0.login.clientID != login.clientID || $0.login.issuer != login.issuer }) ?? true {
                await revoke(tokens, of: login, client: client)
            }
            return .renewed
        }
        counters.count(.oauthRefreshed, workspace: key.workspace, server: key.server)
        logger.info("OAuth tokens refreshed", metadata: ["workspace": "\(key.workspace)", "server": "\(key.server)"])
        return .renewed
    }

    /// The client a refresh presents: a pre-registered client's secret is read from the vault now, so that a new
    /// `OAUTH_CLIENT_SECRET` takes effect at the next refresh.
    private func credentials(of login: OAuthLogin, _ key: Key) async throws -> ClientCredentials {
        var secret = login.clientSecret
        if login.clientSecretInVault == true {
            secret = try await vault.clientSecret(server: key.server, workspace: key.workspace)
        }
        return ClientCredentials(clientID: login.clientID, clientSecret: secret, method: login.clientAuthentication)
    }

    private func revoke(_ tokens: OAuthTokens, of login: OAuthLogin, client: ClientCredentials) async {
        guard let revocation = login.revocationEndpoint else { return }
        let endpoint = TokenEndpoint(http: http, issuer: login.issuer, tokenURL: login.tokenEndpoint)
        for (token, hint) in [(tokens.refreshToken, "refresh_token"), (tokens.accessToken, "access_token")] {
            guard let token else { continue }
            _ = try? await endpoint.revoke(token, hint: hint, at: revocation, client: client)
        }
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
