import Broker
import Foundation
import OAuth
import Vault

/// `sealgate oauth login`: discovery, the client (pre-registered, registered before, or registered now), the
/// browser step or the client credentials grant, and the grant sealed in the vault. Nothing is stored unless the
/// whole login succeeds.
struct OAuthLoginFlow {
    struct Options {
        let clientCredentials: Bool
        let headless: Bool
        let openBrowser: Bool
        let port: Int?
        let timeout: Duration
    }

    let vault: SecretVault
    let workspace: String
    let definition: ServerDefinition
    let target: HTTPServerTarget
    let options: Options

    private var server: String { definition.slug }
    private var isPreRegistered: Bool { definition.oauth?.clientID != nil }

    func run() async throws {
        let client = OAuthHTTP.makeClient()
        do {
            try await login(OAuthHTTP(client: client))
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func login(_ http: OAuthHTTP) async throws {
        let found = try await Discovery(http: http).discover(
            serverURL: target.url, headers: target.headers, configuredScopes: definition.oauth?.scopes ?? [])
        let metadata = found.metadata
        let endpoint = TokenEndpoint(http: http, issuer: metadata.issuer, tokenURL: metadata.tokenEndpoint)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let credentials: ClientCredentials
        let response: TokenResponse
        var registration: OAuthClientRegistration?
        if options.clientCredentials {
            credentials = try preRegisteredClient(metadata, required: true)!
            response = try await endpoint.clientCredentials(
                resource: found.resource, scopes: found.scopes, client: credentials)
        } else {
            let redirect = try await RedirectReceiver.open(port: try redirectPort(metadata), headless: options.headless)
            defer { Task { await redirect.close() } }
            if let client = try preRegisteredClient(metadata, required: false) {
                credentials = client
            } else if let known = try reusableRegistration(metadata, redirectURI: redirect.redirectURI) {
                credentials = ClientCredentials(
                    clientID: known.clientID, clientSecret: known.clientSecret, method: known.clientAuthentication)
            } else {
                guard let registrationEndpoint = metadata.registrationEndpoint else {
                    throw OAuthFailure(
                        .refusedServer,
                        "\(metadata.issuer) offers no dynamic client registration and server '\(server)' has no client id",
                        remedy:
                            "register a client there with the redirect URI \(redirect.redirectURI), then `sealgate server remove \(server)` and add it again with --oauth-client-id ID (and its secret as `sealgate secrets set \(server) OAUTH_CLIENT_SECRET`); log in with --port \(redirect.port)"
                    )
                }
                credentials = try await ClientRegistration(http: http).register(
                    at: registrationEndpoint, issuer: metadata.issuer, redirectURI: redirect.redirectURI,
                    clientName: "Sealgate (\(workspace))", scopes: found.scopes,
                    supportedMethods: metadata.tokenEndpointAuthMethods)
                registration = OAuthClientRegistration(
                    issuer: metadata.issuer, clientID: credentials.clientID, clientSecret: credentials.clientSecret,
                    clientAuthentication: credentials.method, redirectURI: redirect.redirectURI, registeredAt: now)
            }
            let request = try AuthorizationRequest(
                metadata: metadata, clientID: credentials.clientID, redirectURI: redirect.redirectURI,
                resource: found.resource, scopes: found.scopes)
            Output.line("Open this address in a browser to let Sealgate reach \(server) for workspace \(workspace):")
            Output.line("")
            Output.line("  \(request.url)")
            Output.line("")
            if options.openBrowser { Browser.open(request.url) }
            let code = try await redirect.code(for: request, timeout: options.timeout)
            response = try await endpoint.exchange(
                code: code, verifier: request.codeVerifier, redirectURI: redirect.redirectURI,
                resource: found.resource, client: credentials)
        }
        let done = Int64(Date().timeIntervalSince1970 * 1000)
        let login = OAuthLogin(
            grantType: options.clientCredentials ? "client_credentials" : "authorization_code",
            issuer: metadata.issuer, tokenEndpoint: metadata.tokenEndpoint,
            revocationEndpoint: metadata.revocationEndpoint, resource: found.resource, clientID: credentials.clientID,
            // A pre-registered client's secret stays where the operator set it, and is read from there.
            clientSecret: isPreRegistered ? nil : credentials.clientSecret,
            clientSecretInVault: isPreRegistered && credentials.clientSecret != nil,
            clientAuthentication: credentials.method, scopes: found.scopes, loggedInAt: done)
        let tokens = OAuthTokens(
            accessToken: response.accessToken, refreshToken: response.refreshToken,
            expiresAt: response.expiresIn.map { done + Int64($0 * 1000) }, scopes: response.scopes, obtainedAt: done)
        if let registration {
            try vault.saveOAuthClientRegistration(registration, server: server, workspace: workspace)
        }
        try vault.saveOAuthLogin(login, tokens: tokens, server: server, workspace: workspace)
        let scopes = (response.scopes ?? found.scopes).joined(separator: " ")
        let expiry =
            response.expiresIn.map { "; the access token expires in \(Int($0)) s and is refreshed by the broker" } ?? ""
        Output.line(
            "Logged in to \(server) for \(workspace) at \(metadata.issuer)"
                + (scopes.isEmpty ? "" : " (scopes: \(scopes))") + expiry
                + (response.refreshToken == nil && !options.clientCredentials
                    ? ". The server issued no refresh token: log in again when the token expires." : "."))
    }

    /// The server's pre-registered client, with its secret from the vault, if the definition names one.
    private func preRegisteredClient(
        _ metadata: AuthorizationServerMetadata, required: Bool
    ) throws -> ClientCredentials? {
        guard let clientID = definition.oauth?.clientID else {
            guard !required else {
                throw OAuthFailure(
                    .invalidInput, "the client credentials grant needs a registered client, and '\(server)' has none",
                    remedy:
                        "add the server with --oauth-client-id ID, and set its secret with `sealgate secrets set \(server) \(OAuthClientSettings.clientSecretName) --workspace \(workspace)`"
                )
            }
            return nil
        }
        let names = try vault.secrets(server: server, workspace: workspace).1.map(\.name)
        var secret: String?
        if names.contains(OAuthClientSettings.clientSecretName) {
            let value = try vault.unsealSecret(
                server: server, name: OAuthClientSettings.clientSecretName, workspace: workspace)
            secret = value.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
        if required, secret == nil {
            throw OAuthFailure(
                .invalidInput, "the client credentials grant needs the client's secret, and '\(server)' has none",
                remedy:
                    "set it with `sealgate secrets set \(server) \(OAuthClientSettings.clientSecretName) --workspace \(workspace)`"
            )
        }
        // The secret goes to the authorization server the client was registered at and no other, whatever the
        // server's metadata names this time.
        if let pinned = definition.oauth?.issuer {
            guard OAuthURL.sameIssuer(pinned, metadata.issuer) else {
                throw OAuthFailure(
                    .refusedServer,
                    "server '\(server)' names the authorization server \(metadata.issuer), but its client was registered at \(pinned); nothing was sent to it",
                    remedy: "if the server really moved, add it again with the new --oauth-issuer")
            }
        } else if secret != nil {
            throw OAuthFailure(
                .invalidInput,
                "server '\(server)' has a client secret but no --oauth-issuer: the secret would go to whichever authorization server the server names",
                remedy:
                    "`sealgate server remove \(server)` and add it again with --oauth-issuer \(metadata.issuer) if that is where the client was registered"
            )
        }
        return .choosing(clientID: clientID, clientSecret: secret, supported: metadata.tokenEndpointAuthMethods)
    }

    /// A client registered at an earlier login with the same issuer and redirect URI: reusing it keeps the
    /// authorization server's record of this installation, rather than piling up registrations.
    private func reusableRegistration(
        _ metadata: AuthorizationServerMetadata, redirectURI: String
    ) throws -> OAuthClientRegistration? {
        guard let known = try vault.oauthClientRegistration(server: server, workspace: workspace),
            OAuthURL.sameIssuer(known.issuer, metadata.issuer), known.redirectURI == redirectURI
        else { return nil }
        return known
    }

    /// The redirect port: the one asked for, else the registered client's (its redirect URI must match exactly),
    /// else any free one.
    private func redirectPort(_ metadata: AuthorizationServerMetadata) throws -> Int {
        if let port = options.port { return port }
        if definition.oauth?.clientID == nil,
            let known = try vault.oauthClientRegistration(server: server, workspace: workspace),
            OAuthURL.sameIssuer(known.issuer, metadata.issuer),
            let port = URLComponents(string: known.redirectURI)?.port
        {
            return port
        }
        return 0
    }

    /// Revokes a grant's tokens (RFC 7009) where the authorization server offers it; says what happened.
    /// `clientSecret`: a pre-registered client's, from the vault.
    static func revoke(_ grant: OAuthGrant, clientSecret: String?) async -> String {
        guard let revocation = grant.login.revocationEndpoint else {
            return "\(grant.login.issuer) offers no revocation (RFC 7009)"
        }
        let client = OAuthHTTP.makeClient()
        let endpoint = TokenEndpoint(
            http: OAuthHTTP(client: client), issuer: grant.login.issuer, tokenURL: grant.login.tokenEndpoint)
        let credentials = ClientCredentials(
            clientID: grant.login.clientID, clientSecret: grant.login.clientSecret ?? clientSecret,
            method: grant.login.clientAuthentication)
        var refused: [String] = []
        for (token, hint) in [(grant.tokens.refreshToken, "refresh_token"), (grant.tokens.accessToken, "access_token")]
        {
            guard let token else { continue }
            let accepted = (try? await endpoint.revoke(token, hint: hint, at: revocation, client: credentials)) ?? false
            if !accepted { refused.append(hint.replacingOccurrences(of: "_", with: " ")) }
        }
        try? await client.shutdown()
        return refused.isEmpty
            ? "\(grant.login.issuer) revoked its tokens"
            : "\(grant.login.issuer) did not confirm revoking the \(refused.joined(separator: " and ")) (it may have expired already)"
    }
}

/// Where the browser's redirect arrives: the loopback listener, or (headless) the address pasted on stdin.
struct RedirectReceiver {
    let port: Int
    private let listener: LoopbackRedirect?

    var redirectURI: String { "http://127.0.0.1:\(port)/callback" }

    static func open(port: Int, headless: Bool) async throws -> RedirectReceiver {
        do {
            if headless {
                // No listener, but a port that is ours for the redirect URI a new registration names.
                let probe = port == 0 ? try await LoopbackRedirect.listen(port: 0) : nil
                let chosen = probe?.port ?? port
                await probe?.close()
                return RedirectReceiver(port: chosen, listener: nil)
            }
            let listener = try await LoopbackRedirect.listen(port: port)
            return RedirectReceiver(port: listener.port, listener: listener)
        } catch {
            throw OAuthFailure(
                .invalidInput, "cannot listen on 127.0.0.1:\(port) for the browser's redirect (\(error))",
                remedy: port == 0
                    ? nil : "free the port, or pass --port N for another (a new client is registered then)")
        }
    }

    func close() async { await listener?.close() }

    /// Waits for the redirect and returns its code once `state` and `iss` check out.
    func code(for request: AuthorizationRequest, timeout: Duration) async throws -> String {
        let seconds = Int(timeout.components.seconds)
        if let listener {
            Output.line("Waiting up to \(seconds) s for the browser to come back to \(redirectURI) …")
            guard let query = await listener.nextQuery(timeout: timeout) else {
                throw OAuthFailure(
                    .authorization, "no browser came back to \(redirectURI) within \(seconds) s; nothing was stored",
                    remedy:
                        "run the login again and open the address it prints, or use --headless on a machine without a browser"
                )
            }
            return try request.code(fromQuery: query)
        }
        Output.line("After approving, the browser is sent to \(redirectURI) (the page may not load).")
        Output.line("Paste the whole address from its address bar here, then press Enter:")
        guard let pasted = await PastedLine.read(timeout: timeout) else {
            throw OAuthFailure(
                .authorization, "no address was pasted within \(seconds) s; nothing was stored",
                remedy: "run the login again")
        }
        return try request.code(fromPastedURL: pasted)
    }
}

/// One line from stdin, or nil at its end or when `timeout` passed.
enum PastedLine {
    static func read(timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await Task.detached { readLine(strippingNewline: true) }.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// Opens an address in the desktop's browser, when there is a desktop.
enum Browser {
    static func open(_ url: String) {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil,
            let opener = ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try? process.run()
    }
}
