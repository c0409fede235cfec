import Foundation

/// What discovery found for one MCP server: the resource its tokens are for, the authorization server's checked
/// metadata, and the scopes to ask for.
public struct DiscoveredAuthorization: Sendable {
    public let resource: String
    public let metadata: AuthorizationServerMetadata
    public let scopes: [String]
}

/// Discovery as the MCP authorization spec (2025-11-25, 2026-07-28) lays it out: an unauthenticated request to the
/// server; the protected resource metadata named by its `WWW-Authenticate` challenge, else at the well-known URIs;
/// the first authorization server's metadata at the RFC 8414 and OpenID well-known URIs in order, with the issuer
/// check.
public struct Discovery: Sendable {
    let http: OAuthHTTP

    public init(http: OAuthHTTP) { self.http = http }

    /// `serverURL` is the resolved MCP endpoint; `headers` are the server's own (resolved) headers, sent on the probe
    /// as on any request to it. `configuredScopes` win over what the server suggests.
    public func discover(
        serverURL: String, headers: [(String, String)], configuredScopes: [String]
    ) async throws(OAuthFailure) -> DiscoveredAuthorization {
        guard let canonical = OAuthURL.canonicalResource(serverURL) else {
            throw OAuthFailure(.invalidInput, "the server's URL is not an http or https URL")
        }
        let challenge = try await probe(serverURL, headers: headers)
        let resourceMetadata = try await protectedResource(canonical, challenge: challenge)
        let issuer = resourceMetadata.authorizationServers[0]
        let metadata = try await authorizationServer(issuer)
        let scopes: [String] =
            if !configuredScopes.isEmpty { configuredScopes } else if let scope = challenge?.scope {
                scope.split(separator: " ").map(String.init)
            } else { resourceMetadata.scopesSupported }
        return DiscoveredAuthorization(
            resource: OAuthURL.canonicalResource(resourceMetadata.resource) ?? canonical, metadata: metadata,
            scopes: scopes)
    }

    /// An `initialize` without credentials: a server that wants a token answers 401 with a challenge.
    func probe(_ serverURL: String, headers: [(String, String)]) async throws(OAuthFailure) -> BearerChallenge? {
        let initialize = Data(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sealgate-oauth-discovery","version":"1"}}}"#
                .utf8)
        let response = try await http.postJSON(
            serverURL, initialize, headers: headers.filter { $0.0.lowercased() != "authorization" })
        guard response.status == 401 || response.status == 403 else { return nil }
        return BearerChallenge(headerValues: response.headers[canonicalForm: "WWW-Authenticate"].map(String.init))
    }

    /// The protected resource metadata: where the challenge says (it must be an acceptable URL), else the
    /// well-known URIs in order. A document must name this server as its resource.
    func protectedResource(
        _ server: String, challenge: BearerChallenge?
    ) async throws(OAuthFailure) -> ProtectedResourceMetadata {
        var candidates = OAuthURL.protectedResourceMetadataCandidates(for: server)
        if let named = challenge?.resourceMetadata {
            guard OAuthURL.isAcceptableEndpoint(named, namedBy: server) else {
                throw OAuthFailure(
                    .refusedServer,
                    "the server names its resource metadata at \(named.prefix(200)), which is not an https URL")
            }
            candidates = [named]
        }
        let (found, tried) = try await firstDocument(at: candidates)
        if let (url, body) = found { return try ProtectedResourceMetadata(json: body, server: server, from: url) }
        throw OAuthFailure(
            .refusedServer,
            "the server publishes no OAuth protected resource metadata (tried \(tried.joined(separator: ", ")))",
            remedy: "it may not use OAuth: reach it with a header secret instead (`server add --header`)")
    }

    /// The authorization server's metadata from the first well-known URI that has it.
    public func authorizationServer(_ issuer: String) async throws(OAuthFailure) -> AuthorizationServerMetadata {
        let (found, tried) = try await firstDocument(at: OAuthURL.authorizationServerMetadataCandidates(for: issuer))
        if let (url, body) = found { return try AuthorizationServerMetadata(json: body, issuer: issuer, from: url) }
        throw OAuthFailure(
            .refusedServer,
            "the authorization server \(issuer) publishes no metadata (tried \(tried.joined(separator: ", ")))")
    }

    /// The first of `candidates` that answers 200, with its body; and what the others answered, for the error.
    private func firstDocument(
        at candidates: [String]
    ) async throws(OAuthFailure) -> (found: (url: String, body: Data)?, tried: [String]) {
        var tried: [String] = []
        for url in candidates {
            let response = try await http.get(url)
            if response.status == 200 { return ((url, response.body), tried) }
            tried.append("\(url) (HTTP \(response.status))")
        }
        return (nil, tried)
    }
}
