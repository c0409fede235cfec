import Foundation
import Vault

/// One authorization code request (OAuth 2.1 with PKCE S256, RFC 8707 `resource`): the URL for the browser, and
/// what the redirect must bring back to be accepted.
public struct AuthorizationRequest: Sendable {
    public let url: String
    /// Single use, 256 random bits: the redirect must carry exactly this.
    public let state: String
    public let codeVerifier: String
    public let redirectURI: String
    public let issuer: String
    /// RFC 9207: the redirect must carry `iss` equal to the issuer.
    public let requiresIssuer: Bool

    public init(
        metadata: AuthorizationServerMetadata, clientID: String, redirectURI: String, resource: String,
        scopes: [String]
    ) throws(OAuthFailure) {
        guard let endpoint = metadata.authorizationEndpoint else {
            throw OAuthFailure(
                .refusedServer, "the authorization server \(metadata.issuer) names no authorization endpoint",
                remedy: "log in with --grant client-credentials if it is a service account")
        }
        state = ProofKey.randomText()
        codeVerifier = ProofKey.randomText()
        var parameters = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI),
            ("state", state), ("code_challenge", ProofKey.s256Challenge(of: codeVerifier)),
            ("code_challenge_method", "S256"), ("resource", resource),
        ]
        if !scopes.isEmpty { parameters.append(("scope", scopes.joined(separator: " "))) }
        guard let url = OAuthURL.adding(parameters, to: endpoint) else {
            throw OAuthFailure(.refusedServer, "the authorization endpoint of \(metadata.issuer) is not a URL")
        }
        self.url = url
        self.redirectURI = redirectURI
        issuer = metadata.issuer
        requiresIssuer = metadata.issuerInAuthorizationResponse
    }

    /// The code from a redirect to `redirectURI`, once its `state` (and `iss`, RFC 9207 §2.4) check out. `query` is
    /// the redirect's query string, percent-encoded as it arrived.
    public func code(fromQuery query: String) throws(OAuthFailure) -> String {
        let parameters = Self.parameters(query)
        // The state is checked first: an error redirect with a wrong state is not this login's to report.
        guard let state = parameters["state"],
            state.utf8.count == self.state.utf8.count,
            zip(state.utf8, self.state.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0
        else {
            throw OAuthFailure(
                .authorization,
                "the redirect's state does not match the one this login sent: it belongs to another request, or was forged",
                remedy: "run `sealgate oauth login` again and finish it in the browser it opens")
        }
        if let iss = parameters["iss"] {
            guard OAuthURL.sameIssuer(iss, issuer) else {
                throw OAuthFailure(
                    .authorization, "the redirect came from issuer \(iss.prefix(200)), not \(issuer) (RFC 9207)",
                    remedy: "another authorization server answered in its place: do not use it")
            }
        } else if requiresIssuer {
            throw OAuthFailure(
                .authorization, "the redirect carries no iss, which \(issuer) promises (RFC 9207)",
                remedy: "run `sealgate oauth login` again")
        }
        if let error = parameters["error"] {
            let description = parameters["error_description"].map { ": \($0.prefix(300))" } ?? ""
            throw OAuthFailure(
                .authorization, "the authorization server refused: \(error.prefix(100))\(description)",
                remedy: error == "access_denied" ? "approve the request in the browser" : nil)
        }
        guard let code = parameters["code"], !code.isEmpty else {
            throw OAuthFailure(.authorization, "the redirect carries no code")
        }
        return code
    }

    /// The redirect URL an operator pasted (headless login), reduced to its query.
    public func code(fromPastedURL text: String) throws(OAuthFailure) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let components = URLComponents(string: trimmed), let query = components.percentEncodedQuery else {
            throw OAuthFailure(
                .invalidInput, "that is not the URL the browser was sent to",
                remedy: "paste the whole address from the browser's address bar, starting with \(redirectURI)")
        }
        return try code(fromQuery: query)
    }

    /// Query parameters, percent-decoded (`+` as a space, as forms encode it). The first of a repeated name wins.
    static func parameters(_ query: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            let name = decode(parts[0])
            if result[name] == nil { result[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return result
    }
}
