import Foundation
import Vault

/// An OAuth grant as an HTTP upstream uses it: the access token for its `Authorization` header and every value of
/// the grant to mask in what the upstream sends back.
struct OAuthBearer {
    /// Nil when the grant needs a new login: the server is then reached without a token.
    let accessToken: String?
    let masked: [InjectedSecret]
}

/// What an HTTP upstream knows of its grant without holding it: when to refresh, and whether it can.
struct OAuthPlanState: Sendable, Equatable {
    /// The version of the tokens in use: a refresh writes over exactly this one (`OAuthRefresher`).
    let tokensVersion: Int64
    /// When to refresh, in milliseconds since the epoch: a third of the token's life before it expires, and at most
    /// a minute before. Nil when the authorization server gave no lifetime.
    let refreshAt: Int64?
    let expiresAt: Int64?
    let needsLogin: Bool
    let failure: String?
    let canRefresh: Bool
}

struct OAuthCredentials {
    let bearer: OAuthBearer
    let state: OAuthPlanState

    init(_ grant: OAuthGrant) {
        let tokens = grant.tokens
        var masked: [InjectedSecret] = []
        for (name, value) in [
            ("OAUTH_ACCESS_TOKEN", tokens.accessToken), ("OAUTH_REFRESH_TOKEN", tokens.refreshToken),
            ("OAUTH_CLIENT_SECRET", grant.login.clientSecret),
        ] {
            guard let value, !value.isEmpty else { continue }
            masked.append(
                InjectedSecret(name: name, version: grant.tokensVersion, value: SecretValue(unsafeFromString: value)))
        }
        bearer = OAuthBearer(accessToken: tokens.needsLogin ? nil : tokens.accessToken, masked: masked)
        var refreshAt: Int64?
        if let expiresAt = tokens.expiresAt {
            let lifetime = max(0, expiresAt - (tokens.refreshedAt ?? tokens.obtainedAt))
            refreshAt = expiresAt - min(60_000, lifetime / 3)
        }
        state = OAuthPlanState(
            tokensVersion: grant.tokensVersion, refreshAt: refreshAt, expiresAt: tokens.expiresAt,
            needsLogin: tokens.needsLogin || tokens.accessToken == nil, failure: tokens.failure,
            canRefresh: tokens.refreshToken != nil || grant.login.grantType == "client_credentials")
    }

    static func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
