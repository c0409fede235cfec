import Foundation

/// A successful token endpoint answer (RFC 6749 §5.1), checked before anything of it is stored or sent.
public struct TokenResponse: Sendable {
    public let accessToken: String
    public let refreshToken: String?
    public let expiresIn: Double?
    public let scopes: [String]?

    public init(json: Data, issuer: String) throws(OAuthFailure) {
        let object = try JSONFields(json, what: "the token response of \(issuer)")
        guard let access = object.string("access_token") else {
            throw OAuthFailure(.refusedServer, "the token response of \(issuer) holds no access_token")
        }
        guard object.string("token_type")?.lowercased() == "bearer" else {
            throw OAuthFailure(
                .refusedServer,
                "the token response of \(issuer) is for token type \(object.string("token_type")?.prefix(40) ?? "(none)"), not Bearer"
            )
        }
        // The token goes into an Authorization header: anything but RFC 6750's b64token characters could end the
        // header and start another one of the server's choosing.
        guard Self.isBearerToken(access) else {
            throw OAuthFailure(
                .refusedServer, "the access token of \(issuer) has characters a Bearer header cannot carry")
        }
        let refresh = object.string("refresh_token")
        if let refresh, !refresh.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            throw OAuthFailure(.refusedServer, "the refresh token of \(issuer) has characters a form cannot carry")
        }
        accessToken = access
        refreshToken = refresh
        if let seconds = object.number("expires_in"), seconds.isFinite, seconds >= 0 {
            expiresIn = min(seconds, 10 * 365 * 86_400)
        } else {
            expiresIn = nil
        }
        scopes = object.string("scope").map { $0.split(separator: " ").map(String.init) }
    }

    /// RFC 6750 §2.1: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isBearerToken(_ token: String) -> Bool {
        var padding = false
        for byte in token.utf8 {
            if byte == 0x3D {
                padding = true
                continue
            }
            let allowed =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || [0x2D, 0x2E, 0x5F, 0x7E, 0x2B, 0x2F].contains(byte)
            guard allowed, !padding else { return false }
        }
        return !token.isEmpty && !token.hasPrefix("=")
    }
}

/// A token endpoint error (RFC 6749 §5.2) as a failure: `invalid_grant` means the grant is gone for good.
enum TokenError {
    static func failure(status: Int, body: Data, issuer: String, what: String) -> OAuthFailure {
        let object = try? JSONFields(body, what: "")
        let error = object?.string("error")
        let description = object?.string("error_description").map { ": \($0.prefix(300))" } ?? ""
        let said = error.map { "\($0.prefix(100))\(description)" } ?? "HTTP \(status)"
        switch error {
        case "invalid_grant":
            return OAuthFailure(.invalidGrant, "\(issuer) refused the \(what) (\(said))")
        case "invalid_client", "unauthorized_client":
            return OAuthFailure(
                .invalidClient, "\(issuer) refused the client for the \(what) (\(said))",
                remedy: "check the client id and its secret OAUTH_CLIENT_SECRET")
        default:
            return OAuthFailure(
                status >= 500 ? .unreachable : .refusedServer, "\(issuer) refused the \(what) (\(said))")
        }
    }
}
