import ArgumentParser
import Broker
import Foundation
import OAuth
import Vault

struct OAuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth", abstract: "Log in to HTTP servers that want OAuth; the broker refreshes the tokens.",
        subcommands: [Login.self, Status.self, Logout.self])

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to an HTTP server for a workspace (a browser, or --grant client-credentials).",
            discussion: """
                Discovers the server's authorization server, registers a client unless the server has one \
                (--oauth-client-id at `server add`, its secret as the secret OAUTH_CLIENT_SECRET), and prints the \
                address to open. The browser comes back to http://127.0.0.1:PORT/callback. With --headless, paste \
                the address the browser ended on instead. The tokens are sealed in the vault; a running `serve` \
                uses them within a second.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server slug.") var server: String
        @Option(help: "The workspace (default: the active one).") var workspace: String?
        @Option(help: "authorization-code (a browser) or client-credentials (a service account, no browser).")
        var grant = "authorization-code"
        @Flag(help: "Print the address and read the address the browser ended on from stdin (no listener).")
        var headless = false
        @Flag(help: "Do not try to open a browser.") var noBrowser = false
        @Option(help: "The loopback port of the redirect URI (default: the registered client's, else any free one).")
        var port: Int?
        @Option(help: "How long to wait for the browser (default 5m).") var timeout: DurationArgument?

        func validate() throws {
            guard ["authorization-code", "client-credentials"].contains(grant) else {
                throw ValidationError("--grant is authorization-code or client-credentials")
            }
            if let port, !(0...65535).contains(port) { throw ValidationError("--port is 0 to 65535") }
        }

        func run() async throws {
            let vault = try global.openVault()
            let (ws, installed) = try vault.installedServers(workspace: workspace)
            guard let definition = installed.first(where: { $0.definition.slug == server })?.definition else {
                throw VaultError(
                    .notFound, "server '\(server.prefix(80))' is not installed in '\(ws.slug)'",
                    remedy: "install it with `sealgate mcp install \(server) --workspace \(ws.slug)`")
            }
            let target = try HTTPServerTarget(definition, workspace: ws.slug, vault: vault, purpose: "oauth login")
            let flow = OAuthLoginFlow(
                vault: vault, workspace: ws.slug, definition: definition, target: target,
                options: .init(
                    clientCredentials: grant == "client-credentials", headless: headless,
                    openBrowser: !noBrowser && !headless, port: port, timeout: timeout?.duration ?? .seconds(300)))
            do {
                try await flow.run()
            } catch let failure as OAuthFailure {
                throw OAuthFailure(
                    failure.kind, target.mask(failure.message), remedy: failure.remedy.map(target.mask))
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each server's OAuth grant: issuer, scopes, expiry, last refresh, state (never a token).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The workspace (default: the active one).") var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let vault = try global.openVault()
            let (ws, installed) = try vault.installedServers(workspace: workspace)
            var rows: [OAuthStatusJSON] = []
            for server in installed {
                guard case .http = server.definition.transport else { continue }
                let grant = try vault.oauthGrant(server: server.definition.slug, workspace: ws.slug)
                guard grant != nil || server.definition.oauth != nil else { continue }
                rows.append(OAuthStatusJSON(server: server.definition.slug, grant: grant))
            }
            if json { return try Output.json(rows) }
            Output.table(
                ["SERVER", "STATE", "ISSUER", "SCOPES", "EXPIRES", "REFRESHED"],
                rows.map {
                    [
                        $0.server, $0.state, $0.issuer ?? "-",
                        $0.scopes.isEmpty ? "-" : $0.scopes.joined(separator: " "),
                        Output.time($0.expiresAt.map { $0 / 1000 }), Output.time($0.refreshedAt.map { $0 / 1000 }),
                    ]
                },
                empty: "No OAuth logins in \(ws.slug): run `sealgate oauth login SERVER --workspace \(ws.slug)`.")
            for row in rows where row.state == OAuthStatusJSON.needsLogin {
                Output.line(
                    "\(row.server) needs a login\(row.failure.map { " (\($0))" } ?? ""): run `sealgate oauth login \(row.server) --workspace \(ws.slug)`"
                )
            }
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a server's OAuth tokens where the authorization server offers it, then destroy them.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server slug.") var server: String
        @Option(help: "The workspace (default: the active one).") var workspace: String?

        func run() async throws {
            let vault = try global.openVault()
            let ws = try vault.workspace(workspace)
            guard let grant = try vault.oauthGrant(server: server, workspace: ws.slug) else {
                throw VaultError(
                    .notFound, "no OAuth login for '\(server.prefix(80))' in '\(ws.slug)'",
                    remedy: "see `sealgate oauth status --workspace \(ws.slug)`")
            }
            var clientSecret: String?
            if grant.login.clientSecretInVault == true {
                clientSecret = try? vault.unsealSecret(
                    server: server, name: OAuthClientSettings.clientSecretName, workspace: ws.slug
                ).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            }
            let revoked = await OAuthLoginFlow.revoke(grant, clientSecret: clientSecret)
            try vault.removeOAuthGrant(server: server, workspace: ws.slug)
            Output.line("Logged out of \(server) in \(ws.slug): \(revoked); its tokens are destroyed.")
        }
    }
}

/// One row of `oauth status`: what a grant is, never its tokens.
struct OAuthStatusJSON: Encodable {
    static let needsLogin = "needs login"

    let server: String
    /// `authorized`, `refreshing` (the access token expired; the broker refreshes it at the next call),
    /// `needs login`.
    let state: String
    let issuer: String?
    let grantType: String?
    let clientID: String?
    let scopes: [String]
    /// Milliseconds since the epoch.
    let expiresAt: Int64?
    let loggedInAt: Int64?
    let refreshedAt: Int64?
    let failure: String?

    init(server: String, grant: OAuthGrant?) {
        self.server = server
        issuer = grant?.login.issuer
        grantType = grant?.login.grantType
        clientID = grant?.login.clientID
        scopes = grant.map { $0.tokens.scopes ?? $0.login.scopes } ?? []
        expiresAt = grant?.tokens.expiresAt
        loggedInAt = grant?.login.loggedInAt
        refreshedAt = grant?.tokens.refreshedAt
        failure = grant?.tokens.failure
        state = Self.state(of: grant)
    }

    static func state(of grant: OAuthGrant?) -> String {
        guard let grant, !grant.tokens.needsLogin, grant.tokens.accessToken != nil else { return needsLogin }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let expiresAt = grant.tokens.expiresAt, expiresAt <= now { return "refreshing" }
        return "authorized"
    }
}
