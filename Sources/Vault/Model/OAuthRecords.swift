import Foundation

/// A server definition's OAuth settings: a client registered at the authorization server by hand (GitHub's remote
/// server offers no dynamic registration), and the scopes to ask for. Never a secret: a client secret is stored as
/// the server's secret `OAUTH_CLIENT_SECRET`, like any other.
public struct OAuthClientSettings: Sendable, Equatable, Codable {
    public let clientID: String?
    public let scopes: [String]
    /// The authorization server the client was registered at: a login presents the client's secret to no other,
    /// whatever the server's metadata names.
    public let issuer: String?

    public init(clientID: String?, scopes: [String], issuer: String? = nil) {
        self.clientID = clientID
        self.scopes = scopes
        self.issuer = issuer
    }

    /// The secret name that holds a pre-registered client's secret.
    public static let clientSecretName = "OAUTH_CLIENT_SECRET"

    func validate() throws(VaultError) {
        if let clientID, clientID.isEmpty || !clientID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw VaultError(
                .invalidInput, "invalid OAuth client id '\(clientID.prefix(80))'",
                remedy: "give the client id the authorization server issued: visible ASCII, no spaces")
        }
        if let issuer {
            let components = URLComponents(string: issuer)
            guard let scheme = components?.scheme?.lowercased(), scheme == "https" || scheme == "http",
                components?.host?.isEmpty == false
            else {
                throw VaultError(
                    .invalidInput, "invalid OAuth issuer '\(issuer.prefix(200))'",
                    remedy: "give the authorization server's issuer URL, as its metadata names it (https://…)")
            }
        }
        for scope in scopes
        where scope.isEmpty || !scope.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            throw VaultError(
                .invalidInput, "invalid OAuth scope '\(scope.prefix(80))'",
                remedy: "give each scope on its own --oauth-scope: visible ASCII without spaces, quotes or backslashes")
        }
    }
}

/// What a login established and a refresh does not change: where tokens come from and for which client. Sealed as
/// the reserved secret `oauth.login` of (workspace, server): the endpoints decide where the refresh token is sent,
/// so they must not be open to anyone who can write the database file.
public struct OAuthLogin: Sendable, Equatable, Codable {
    /// `authorization_code` or `client_credentials`.
    public var grantType: String
    public var issuer: String
    public var tokenEndpoint: String
    public var revocationEndpoint: String?
    /// The RFC 8707 resource the tokens are for: the MCP server's canonical URI.
    public var resource: String
    public var clientID: String
    /// A registered client's secret. Nil for a pre-registered client, whose secret is read from the server's
    /// secret `OAUTH_CLIENT_SECRET` when it is needed (`clientSecretInVault`), so a new one takes effect at once.
    public var clientSecret: String?
    public var clientSecretInVault: Bool?
    /// `none`, `client_secret_post` or `client_secret_basic`.
    public var clientAuthentication: String
    public var scopes: [String]
    /// Milliseconds since the epoch.
    public var loggedInAt: Int64
    /// Random, set by the vault when the login is stored: versions start again after a logout, this does not, so a
    /// refresh of an earlier login can never be taken for one of this login.
    public var id: String?

    public init(
        grantType: String, issuer: String, tokenEndpoint: String, revocationEndpoint: String?, resource: String,
        clientID: String, clientSecret: String?, clientSecretInVault: Bool = false, clientAuthentication: String,
        scopes: [String], loggedInAt: Int64
    ) {
        self.clientSecretInVault = clientSecretInVault
        (self.grantType, self.issuer, self.tokenEndpoint, self.revocationEndpoint) =
            (grantType, issuer, tokenEndpoint, revocationEndpoint)
        (self.resource, self.clientID, self.clientSecret, self.clientAuthentication) =
            (resource, clientID, clientSecret, clientAuthentication)
        (self.scopes, self.loggedInAt) = (scopes, loggedInAt)
    }
}

/// The tokens of a login, rewritten at every refresh. Sealed as the reserved secret `oauth.tokens`.
public struct OAuthTokens: Sendable, Equatable, Codable {
    public var accessToken: String?
    public var refreshToken: String?
    /// When the access token expires, in milliseconds since the epoch; nil when the server did not say.
    public var expiresAt: Int64?
    /// The scopes granted, when the token response named them.
    public var scopes: [String]?
    /// When the login obtained the first tokens, and the last refresh; milliseconds since the epoch.
    public var obtainedAt: Int64
    public var refreshedAt: Int64?
    /// Refreshing failed for good (`invalid_grant`): only a new login helps. The tokens are dropped then.
    public var needsLogin: Bool
    /// Why, in the authorization server's words (its `error` and `error_description`), for `oauth status`.
    public var failure: String?

    public init(
        accessToken: String?, refreshToken: String?, expiresAt: Int64?, scopes: [String]?, obtainedAt: Int64,
        refreshedAt: Int64? = nil, needsLogin: Bool = false, failure: String? = nil
    ) {
        (self.accessToken, self.refreshToken, self.expiresAt, self.scopes) =
            (accessToken, refreshToken, expiresAt, scopes)
        (self.obtainedAt, self.refreshedAt, self.needsLogin, self.failure) =
            (obtainedAt, refreshedAt, needsLogin, failure)
    }
}

/// A client that `oauth login` registered dynamically (RFC 7591), kept across logins and logouts so that a refresh
/// token is never orphaned by a new registration. Sealed as the reserved secret `oauth.client`.
public struct OAuthClientRegistration: Sendable, Equatable, Codable {
    public var issuer: String
    public var clientID: String
    public var clientSecret: String?
    public var clientAuthentication: String
    public var redirectURI: String
    public var registeredAt: Int64

    public init(
        issuer: String, clientID: String, clientSecret: String?, clientAuthentication: String, redirectURI: String,
        registeredAt: Int64
    ) {
        (self.issuer, self.clientID, self.clientSecret) = (issuer, clientID, clientSecret)
        (self.clientAuthentication, self.redirectURI, self.registeredAt) =
            (clientAuthentication, redirectURI, registeredAt)
    }
}

/// A login and its current tokens, with the versions they were read at (a refresh writes only over what it read).
public struct OAuthGrant: Sendable, Equatable {
    public let login: OAuthLogin
    public let tokens: OAuthTokens
    public let loginVersion: Int64
    public let tokensVersion: Int64

    /// The reserved secret names. They hold a `.`, which no secret a user sets may: `secrets set` cannot write
    /// them, `${NAME}` cannot refer to them, and `run` never injects them.
    public static let loginName = "oauth.login"
    public static let tokensName = "oauth.tokens"
    public static let clientName = "oauth.client"

    public static func isReserved(_ name: String) -> Bool { name.hasPrefix("oauth.") }
}
