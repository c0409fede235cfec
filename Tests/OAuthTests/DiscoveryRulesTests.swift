import Foundation
import Testing

@testable import OAuth

/// The rules discovery lives by, each against what a hostile or sloppy server would send.
@Suite struct DiscoveryRulesTests {
    @Test func aBearerChallengeIsFoundAmongOthersWithQuotedAndBareValues() throws {
        let challenge = try #require(
            BearerChallenge(headerValues: [
                #"Basic realm="x", Bearer error="invalid_token", error_description="a \"quoted\", text", resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#
            ]))
        #expect(challenge.resourceMetadata == "https://mcp.example/.well-known/oauth-protected-resource/mcp")
        #expect(challenge.scope == "files:read files:write")
        #expect(challenge.error == "invalid_token")
        let bare = try #require(BearerChallenge(headerValues: ["bearer resource_metadata=https://a.example/prm"]))
        #expect(bare.resourceMetadata == "https://a.example/prm")
        #expect(BearerChallenge(headerValues: [#"Basic realm="only""#]) == nil)
        // A repeated parameter cannot override the first.
        let repeated = try #require(
            BearerChallenge(headerValues: [
                #"Bearer resource_metadata="https://a/1", resource_metadata="https://evil/2""#
            ]))
        #expect(repeated.resourceMetadata == "https://a/1")
    }

    @Test func wellKnownURIsComeInTheSpecsOrder() {
        #expect(
            OAuthURL.protectedResourceMetadataCandidates(for: "https://MCP.example/public/mcp/") == [
                "https://mcp.example/.well-known/oauth-protected-resource/public/mcp",
                "https://mcp.example/.well-known/oauth-protected-resource",
            ])
        #expect(
            OAuthURL.authorizationServerMetadataCandidates(for: "https://auth.example/tenant1") == [
                "https://auth.example/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example/.well-known/openid-configuration/tenant1",
                "https://auth.example/tenant1/.well-known/openid-configuration",
            ])
        #expect(
            OAuthURL.authorizationServerMetadataCandidates(for: "https://auth.example/") == [
                "https://auth.example/.well-known/oauth-authorization-server",
                "https://auth.example/.well-known/openid-configuration",
            ])
    }

    @Test func endpointsMustBeHTTPSOrOnThisMachine() {
        #expect(OAuthURL.isAcceptableEndpoint("https://auth.example/token"))
        #expect(OAuthURL.isAcceptableEndpoint("http://127.0.0.1:8080/token"))
        #expect(OAuthURL.isAcceptableEndpoint("http://localhost/token"))
        #expect(!OAuthURL.isAcceptableEndpoint("http://auth.example/token"))
        #expect(!OAuthURL.isAcceptableEndpoint("http://127.0.0.1.evil.example/token"))
        #expect(!OAuthURL.isAcceptableEndpoint("https://user:pw@auth.example/token"))
        #expect(!OAuthURL.isAcceptableEndpoint("https://auth.example/token#frag"))
        #expect(!OAuthURL.isAcceptableEndpoint("javascript:alert(1)"))
    }

    /// A remote server or authorization server must not point the broker at services on this machine.
    @Test func endpointsOnThisMachineOnlyFromAnOriginOnIt() throws {
        #expect(OAuthURL.isAcceptableEndpoint("http://127.0.0.1:9/token", namedBy: "http://127.0.0.1:8000"))
        #expect(!OAuthURL.isAcceptableEndpoint("http://127.0.0.1:9/token", namedBy: "https://auth.example"))
        #expect(!OAuthURL.isAcceptableEndpoint("https://localhost:9/token", namedBy: "https://auth.example"))
        #expect(OAuthURL.isAcceptableEndpoint("https://auth2.example/token", namedBy: "https://auth.example"))
        for spelling in [
            "127.1", "2130706433", "0.0.0.0", "0", "localhost.", "api.localhost", "[::ffff:127.0.0.1]", "[::]",
            "[::1]", "127.0.0.1.",
        ] {
            #expect(OAuthURL.isLoopback(spelling), "\(spelling)")
            #expect(!OAuthURL.isAcceptableEndpoint("https://\(spelling):9/token", namedBy: "https://auth.example"))
        }
        #expect(!OAuthURL.isLoopback("128.0.0.1") && !OAuthURL.isLoopback("localhost.evil.example"))
        let local = Data(
            #"{"issuer":"https://auth.example","authorization_endpoint":"https://auth.example/a","token_endpoint":"http://127.0.0.1:6379/token","code_challenge_methods_supported":["S256"]}"#
                .utf8)
        #expect(throws: OAuthFailure.self) {
            try AuthorizationServerMetadata(json: local, issuer: "https://auth.example", from: "x")
        }
        let pointsHome = Data(
            #"{"resource":"https://mcp.example/mcp","authorization_servers":["http://127.0.0.1:80"]}"#.utf8)
        #expect(throws: OAuthFailure.self) {
            try ProtectedResourceMetadata(json: pointsHome, server: "https://mcp.example/mcp", from: "x")
        }
    }

    @Test func whatAServerSaysReachesTheTerminalWithoutControlCharacters() {
        let failure = TokenError.failure(
            status: 400,
            body: Data(#"{"error":"invalid_request","error_description":"\u001b]0;pwned\u0007 bad"}"#.utf8),
            issuer: "i", what: "refresh token")
        #expect(!failure.message.unicodeScalars.contains { $0.value < 0x20 }, "\(failure.message)")
        #expect(failure.message.contains("?]0;pwned? bad"))
    }

    @Test func resourceMetadataMustNameThisServer() throws {
        let server = "https://mcp.example/mcp"
        func document(_ resource: String) -> Data {
            Data(#"{"resource":"\#(resource)","authorization_servers":["https://auth.example"]}"#.utf8)
        }
        let own = try ProtectedResourceMetadata(json: document("https://mcp.example/mcp"), server: server, from: "x")
        #expect(own.authorizationServers == ["https://auth.example"])
        _ = try ProtectedResourceMetadata(json: document("https://MCP.example/mcp/"), server: server, from: "x")
        // A parent names every server under it: a token for it would be good at all of them (RFC 9728 §3.3).
        for other in [
            "https://evil.example/mcp", "https://mcp.example/mcp-other", "http://mcp.example/mcp",
            "https://mcp.example",
        ] {
            #expect(throws: OAuthFailure.self) {
                try ProtectedResourceMetadata(json: document(other), server: server, from: "x")
            }
        }
        let plainHTTP = Data(
            #"{"resource":"https://mcp.example/mcp","authorization_servers":["http://auth.example"]}"#.utf8)
        #expect(throws: OAuthFailure.self) {
            try ProtectedResourceMetadata(json: plainHTTP, server: server, from: "x")
        }
    }

    static func metadata(
        issuer: String = "https://auth.example", methods: String = #"["S256"]"#,
        token: String = "https://auth.example/token"
    ) -> Data {
        Data(
            #"{"issuer":"\#(issuer)","authorization_endpoint":"https://auth.example/authorize","token_endpoint":"\#(token)","code_challenge_methods_supported":\#(methods),"authorization_response_iss_parameter_supported":true}"#
                .utf8)
    }

    @Test func authorizationServerMetadataIsRefusedWithoutS256OrForAnotherIssuer() throws {
        let good = try AuthorizationServerMetadata(json: Self.metadata(), issuer: "https://auth.example", from: "x")
        #expect(good.tokenEndpoint == "https://auth.example/token")
        #expect(good.tokenEndpointAuthMethods == ["client_secret_basic"])
        _ = try AuthorizationServerMetadata(json: Self.metadata(), issuer: "https://auth.example/", from: "x")
        let failures: [(Data, OAuthFailure.Kind)] = [
            (Self.metadata(methods: #"["plain"]"#), .refusedServer),
            (Self.metadata(methods: "[]"), .refusedServer),
            (
                Data(#"{"issuer":"https://auth.example","token_endpoint":"https://auth.example/token"}"#.utf8),
                .refusedServer
            ),
            (Self.metadata(issuer: "https://evil.example"), .refusedServer),
            (Self.metadata(issuer: "https://auth.example/other"), .refusedServer),
            (Self.metadata(token: "http://auth.example/token"), .refusedServer),
            (Data("[1]".utf8), .refusedServer),
        ]
        for (document, kind) in failures {
            #expect {
                try AuthorizationServerMetadata(json: document, issuer: "https://auth.example", from: "x")
            } throws: { ($0 as? OAuthFailure)?.kind == kind }
        }
    }
}
