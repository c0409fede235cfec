import Foundation

/// How a client proves itself to the token endpoint (RFC 6749 §2.3, RFC 7591 `token_endpoint_auth_method`).
public struct ClientCredentials: Sendable, Equatable {
    public let clientID: String
    public let clientSecret: String?
    /// `none`, `client_secret_post` or `client_secret_basic`.
    public let method: String

    public init(clientID: String, clientSecret: String?, method: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.method = clientSecret == nil ? "none" : method
    }

    /// For a client with a secret, the method the server supports: Basic when it may (the RFC 8414 default),
    /// else the form body.
    public static func choosing(
        clientID: String, clientSecret: String?, supported: [String]
    ) -> ClientCredentials {
        let method =
            clientSecret == nil
            ? "none" : supported.contains("client_secret_basic") ? "client_secret_basic" : "client_secret_post"
        return ClientCredentials(clientID: clientID, clientSecret: clientSecret, method: method)
    }
}

/// The token endpoint's grants (code, refresh, client credentials), RFC 7009 revocation and RFC 7591 registration,
/// each with the RFC 8707 `resource` where it applies.
public struct TokenEndpoint: Sendable {
    let http: OAuthHTTP
    public let issuer: String
    public let tokenURL: String

    public init(http: OAuthHTTP, issuer: String, tokenURL: String) {
        self.http = http
        self.issuer = issuer
        self.tokenURL = tokenURL
    }

    public func exchange(
        code: String, verifier: String, redirectURI: String, resource: String, client: ClientCredentials
    ) async throws(OAuthFailure) -> TokenResponse {
        try await request(
            [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", verifier), ("resource", resource),
            ], client: client, what: "authorization code")
    }

    public func refresh(
        _ refreshToken: String, resource: String, client: ClientCredentials
    ) async throws(OAuthFailure) -> TokenResponse {
        try await request(
            [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("resource", resource)],
            client: client, what: "refresh token")
    }

    public func clientCredentials(
        resource: String, scopes: [String], client: ClientCredentials
    ) async throws(OAuthFailure) -> TokenResponse {
        var parameters = [("grant_type", "client_credentials"), ("resource", resource)]
        if !scopes.isEmpty { parameters.append(("scope", scopes.joined(separator: " "))) }
        return try await request(parameters, client: client, what: "client credentials")
    }

    /// RFC 7009. True when the server accepted the revocation (it answers 200 for tokens it does not know, too).
    public func revoke(
        _ token: String, hint: String, at endpoint: String, client: ClientCredentials
    ) async throws(OAuthFailure) -> Bool {
        let response = try await post(
            endpoint, [("token", token), ("token_type_hint", hint)], client: client)
        return response.status == 200
    }

    private func request(
        _ parameters: [(String, String)], client: ClientCredentials, what: String
    ) async throws(OAuthFailure) -> TokenResponse {
        let response = try await post(tokenURL, parameters, client: client)
        guard response.status == 200 else {
            throw TokenError.failure(status: response.status, body: response.body, issuer: issuer, what: what)
        }
        return try TokenResponse(json: response.body, issuer: issuer)
    }

    private func post(
        _ url: String, _ parameters: [(String, String)], client: ClientCredentials
    ) async throws(OAuthFailure) -> OAuthHTTP.Response {
        var form = parameters
        switch client.method {
        case "client_secret_basic":
            // client_id in the body as well: some servers (the MCP Python SDK's) look the client up by it alone.
            form.append(("client_id", client.clientID))
            return try await http.postForm(url, form, basic: (client.clientID, client.clientSecret ?? ""))
        case "client_secret_post":
            form += [("client_id", client.clientID), ("client_secret", client.clientSecret ?? "")]
        default:
            form.append(("client_id", client.clientID))
        }
        return try await http.postForm(url, form)
    }
}

/// RFC 7591 dynamic client registration of a native client with a loopback redirect URI.
public struct ClientRegistration: Sendable {
    let http: OAuthHTTP

    public init(http: OAuthHTTP) { self.http = http }

    public func register(
        at endpoint: String, issuer: String, redirectURI: String, clientName: String, scopes: [String],
        supportedMethods: [String]
    ) async throws(OAuthFailure) -> ClientCredentials {
        // A public client (no secret) where the server allows one; a native app cannot keep a secret anyway, but
        // the broker can, so a server that insists on one gets it.
        let method = supportedMethods.contains("none") ? "none" : "client_secret_post"
        var document: [String: Any] = [
            "client_name": clientName, "redirect_uris": [redirectURI], "application_type": "native",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": method,
        ]
        if !scopes.isEmpty { document["scope"] = scopes.joined(separator: " ") }
        let body = (try? JSONSerialization.data(withJSONObject: document)) ?? Data()
        let request = try await http.postJSONRaw(endpoint, body)
        guard (200..<300).contains(request.status) else {
            let object = try? JSONFields(request.body, what: "")
            let said =
                object?.string("error").map {
                    "\($0.prefix(100))" + (object?.string("error_description").map { ": \($0.prefix(300))" } ?? "")
                } ?? "HTTP \(request.status)"
            throw OAuthFailure(
                .refusedServer, "\(issuer) refused to register a client (\(said))",
                remedy: "register a client by hand and give its id with `sealgate server add … --oauth-client-id ID`")
        }
        let object = try JSONFields(request.body, what: "the registration response of \(issuer)")
        guard let clientID = object.string("client_id") else {
            throw OAuthFailure(.refusedServer, "the registration response of \(issuer) holds no client_id")
        }
        let secret = object.string("client_secret")
        let granted = object.string("token_endpoint_auth_method") ?? (secret == nil ? "none" : "client_secret_basic")
        return ClientCredentials(clientID: clientID, clientSecret: secret, method: granted)
    }
}

extension OAuthHTTP {
    /// A registration POST: JSON in and out, no MCP headers.
    func postJSONRaw(_ url: String, _ body: Data) async throws(OAuthFailure) -> Response {
        try await postJSON(url, body, headers: [("Accept", "application/json")])
    }
}
