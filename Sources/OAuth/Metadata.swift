import Foundation

/// RFC 9728 protected resource metadata: which authorization servers issue tokens for the resource.
public struct ProtectedResourceMetadata: Sendable, Equatable {
    public let resource: String
    public let authorizationServers: [String]
    public let scopesSupported: [String]

    /// Decodes and checks a document fetched for `server`: it must name the server (or a parent on its origin) and at
    /// least one authorization server at an acceptable URL.
    public init(json: Data, server: String, from url: String) throws(OAuthFailure) {
        let object = try JSONFields(json, what: "the protected resource metadata at \(url)")
        guard let resource = object.string("resource") else {
            throw OAuthFailure(.refusedServer, "the protected resource metadata at \(url) names no resource")
        }
        guard OAuthURL.resource(resource, covers: server) else {
            throw OAuthFailure(
                .refusedServer,
                "the protected resource metadata at \(url) is for \(resource), not for the server at \(server)",
                remedy: "check the server's URL; a server may only name itself as the resource its tokens are for")
        }
        let servers = object.strings("authorization_servers").filter {
            OAuthURL.isAcceptableEndpoint($0, namedBy: server)
        }
        guard !servers.isEmpty else {
            throw OAuthFailure(
                .refusedServer,
                "the protected resource metadata at \(url) names no authorization server at an https (or loopback) URL")
        }
        self.resource = resource
        authorizationServers = servers
        scopesSupported = object.strings("scopes_supported")
    }
}

/// RFC 8414 authorization server metadata, checked as the MCP authorization spec requires before any use.
public struct AuthorizationServerMetadata: Sendable, Equatable {
    public let issuer: String
    public let authorizationEndpoint: String?
    public let tokenEndpoint: String
    public let registrationEndpoint: String?
    public let revocationEndpoint: String?
    public let tokenEndpointAuthMethods: [String]
    public let grantTypes: [String]
    public let scopesSupported: [String]
    /// RFC 9207: the authorization response carries `iss`, which must then be checked.
    public let issuerInAuthorizationResponse: Bool

    /// Decodes the document fetched from `url` for `issuer`, refusing it when its `issuer` is another one, when it
    /// does not offer PKCE with S256, or when an endpoint is not https (or loopback).
    public init(json: Data, issuer: String, from url: String) throws(OAuthFailure) {
        let object = try JSONFields(json, what: "the authorization server metadata at \(url)")
        guard let stated = object.string("issuer"), OAuthURL.sameIssuer(stated, issuer) else {
            throw OAuthFailure(
                .refusedServer,
                "the authorization server metadata at \(url) names issuer \(object.string("issuer") ?? "(none)"), not \(issuer)",
                remedy:
                    "the metadata of another issuer must not be used (RFC 8414 §3.3); check the server's configuration")
        }
        guard object.strings("code_challenge_methods_supported").contains("S256") else {
            throw OAuthFailure(
                .refusedServer, "the authorization server \(issuer) does not advertise PKCE with S256",
                remedy: "MCP clients must refuse such a server; ask its operator to enable S256 PKCE")
        }
        guard let token = object.string("token_endpoint") else {
            throw OAuthFailure(.refusedServer, "the authorization server \(issuer) names no token endpoint")
        }
        for (name, endpoint) in [
            ("token", token), ("authorization", object.string("authorization_endpoint")),
            ("registration", object.string("registration_endpoint")),
            ("revocation", object.string("revocation_endpoint")),
        ] {
            guard let endpoint else { continue }
            guard OAuthURL.isAcceptableEndpoint(endpoint, namedBy: issuer) else {
                throw OAuthFailure(
                    .refusedServer,
                    "the \(name) endpoint of \(issuer) (\(endpoint.prefix(200))) is not an https URL (plain http is accepted only on this machine, and this machine only from an issuer on it)"
                )
            }
        }
        self.issuer = issuer
        authorizationEndpoint = object.string("authorization_endpoint")
        tokenEndpoint = token
        registrationEndpoint = object.string("registration_endpoint")
        revocationEndpoint = object.string("revocation_endpoint")
        // RFC 8414 §2: absent means client_secret_basic only.
        let methods = object.strings("token_endpoint_auth_methods_supported")
        tokenEndpointAuthMethods = methods.isEmpty ? ["client_secret_basic"] : methods
        let grants = object.strings("grant_types_supported")
        grantTypes = grants.isEmpty ? ["authorization_code", "implicit"] : grants
        scopesSupported = object.strings("scopes_supported")
        issuerInAuthorizationResponse = object.bool("authorization_response_iss_parameter_supported")
    }
}

/// A JSON object read leniently where OAuth allows it (unknown members ignored) and strictly where it does not.
struct JSONFields {
    let object: [String: Any]

    init(_ data: Data, what: String) throws(OAuthFailure) {
        guard data.count <= 1 << 20,
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw OAuthFailure(.refusedServer, "\(what) is not a JSON object") }
        self.object = object
    }

    func string(_ key: String) -> String? {
        guard let value = object[key] as? String, !value.isEmpty else { return nil }
        return value
    }

    func strings(_ key: String) -> [String] { (object[key] as? [Any])?.compactMap { $0 as? String } ?? [] }

    func bool(_ key: String) -> Bool { (object[key] as? Bool) ?? false }

    func number(_ key: String) -> Double? {
        if let value = object[key] as? NSNumber, !(object[key] is Bool) { return value.doubleValue }
        if let text = object[key] as? String { return Double(text) }  // some servers quote expires_in
        return nil
    }
}
