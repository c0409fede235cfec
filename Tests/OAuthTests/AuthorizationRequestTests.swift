import Foundation
import Testing
import Vault

@testable import OAuth

/// The browser step's request and the checks on what comes back, played as an attacker would.
@Suite struct AuthorizationRequestTests {
    static func request(issuerInResponse: Bool = true) throws -> AuthorizationRequest {
        let document = DiscoveryRulesTests.metadata()
        let metadata = try AuthorizationServerMetadata(json: document, issuer: "https://auth.example", from: "x")
        return try AuthorizationRequest(
            metadata: metadata, clientID: "client 1", redirectURI: "http://127.0.0.1:5000/callback",
            resource: "https://mcp.example/mcp", scopes: ["files:read", "files:write"])
    }

    @Test func theRequestCarriesPKCES256TheResourceAndAFreshState() throws {
        let request = try Self.request()
        let query = try #require(URLComponents(string: request.url)?.queryItems)
        let items = Dictionary(uniqueKeysWithValues: query.map { ($0.name, $0.value ?? "") })
        #expect(items["code_challenge_method"] == "S256")
        #expect(items["code_challenge"] == ProofKey.s256Challenge(of: request.codeVerifier))
        #expect(items["resource"] == "https://mcp.example/mcp")
        #expect(items["scope"] == "files:read files:write")
        #expect(items["client_id"] == "client 1")
        #expect(items["state"] == request.state && request.state.count == 43)
        #expect(try Self.request().state != request.state)
        #expect(request.codeVerifier.count == 43)
    }

    /// RFC 7636 appendix B.
    @Test func theS256ChallengeMatchesTheRFCsExample() {
        #expect(
            ProofKey.s256Challenge(of: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func aRedirectIsAcceptedOnlyWithItsStateAndIssuer() throws {
        let request = try Self.request()
        let issuer = "iss=https%3A%2F%2Fauth.example"
        #expect(try request.code(fromQuery: "code=abc%2Fd&state=\(request.state)&\(issuer)") == "abc/d")
        let attempts = [
            "code=abc&state=forged&\(issuer)",
            "code=abc&\(issuer)",
            "code=abc&state=\(request.state)x&\(issuer)",
            "code=abc&state=\(request.state)&iss=https%3A%2F%2Fevil.example",
            "code=abc&state=\(request.state)",  // the server promised iss (RFC 9207)
            "error=access_denied&state=\(request.state)&\(issuer)",
            "state=\(request.state)&\(issuer)",
        ]
        for query in attempts {
            #expect(throws: OAuthFailure.self, "\(query)") { try request.code(fromQuery: query) }
        }
        // The first of a repeated parameter counts: a second state cannot stand in for a wrong first one.
        #expect(throws: OAuthFailure.self) {
            try request.code(fromQuery: "code=abc&state=forged&state=\(request.state)&\(issuer)")
        }
    }

    @Test func aPastedAddressIsReadLikeARedirect() throws {
        let request = try Self.request()
        let pasted = "  http://127.0.0.1:5000/callback?code=xyz&state=\(request.state)&iss=https://auth.example\n"
        #expect(try request.code(fromPastedURL: pasted) == "xyz")
        #expect(throws: OAuthFailure.self) { try request.code(fromPastedURL: "not a url at all") }
    }

    @Test func tokenResponsesThatCouldInjectHeadersOrAreNotBearerAreRefused() throws {
        let good = try TokenResponse(
            json: Data(
                #"{"access_token":"abc.DEF-_~+/==","token_type":"bearer","expires_in":"60","refresh_token":"r1"}"#.utf8),
            issuer: "i")
        #expect(good.expiresIn == 60 && good.refreshToken == "r1")
        for body in [
            #"{"access_token":"abc\r\nX-Evil: 1","token_type":"Bearer"}"#,
            #"{"access_token":"a b","token_type":"Bearer"}"#,
            #"{"access_token":"abc","token_type":"mac"}"#,
            #"{"access_token":"abc"}"#,
            #"{"token_type":"Bearer"}"#,
            #"{"access_token":"abc","token_type":"Bearer","refresh_token":"r\n1"}"#,
        ] {
            #expect(throws: OAuthFailure.self, "\(body)") { try TokenResponse(json: Data(body.utf8), issuer: "i") }
        }
    }

    @Test func invalidGrantIsFinalAndOtherErrorsAreNot() {
        let grant = TokenError.failure(
            status: 400, body: Data(#"{"error":"invalid_grant","error_description":"gone"}"#.utf8), issuer: "i",
            what: "refresh token")
        #expect(grant.kind == .invalidGrant)
        #expect(TokenError.failure(status: 503, body: Data(), issuer: "i", what: "x").kind == .unreachable)
        #expect(
            TokenError.failure(status: 401, body: Data(#"{"error":"invalid_client"}"#.utf8), issuer: "i", what: "x")
                .kind == .invalidClient)
    }
}
