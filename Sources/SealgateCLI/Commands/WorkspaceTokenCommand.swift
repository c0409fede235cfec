import ArgumentParser
import ClientSetup
import Foundation
import Vault

struct WorkspaceTokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke a workspace's tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; it is printed once.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The workspace slug.") var slug: String
        @Option(help: "A name unique in the workspace.") var name: String
        @Option(name: .customLong("featureset"), help: "A FeatureSet that limits the token (repeatable; default all).")
        var featureSets: [String] = []
        @Option(help: "Expire after this long: 30s, 15m, 2h, 7d.") var ttl: DurationArgument?
        @Flag(help: "Also print configs for Claude Code, VS Code and Cursor that use the new token.")
        var clientConfig = false
        @Option(
            help: "The gateway's base URL for the configs; implies --client-config (default: http://127.0.0.1:8787).")
        var url: String?

        func run() throws {
            // Checked before the token exists: a bad --url must not cost a token shown to nobody.
            let endpoint = try clientConfig || url != nil ? ConnectEndpoint.resolve(slug: slug, url: url) : nil
            if let warning = endpoint.flatMap(ConnectEndpoint.unencryptedWarning) { Output.warning(warning) }
            let issued = try global.openVault().createWorkspaceToken(
                workspace: slug, name: name, featureSets: featureSets, ttl: ttl?.seconds)
            Output.line(
                "Token '\(name)' for workspace \(slug)"
                    + (issued.info.expiresAt.map { ", expires \(Output.time($0))" } ?? ""))
            Output.token("Token: ", issued.token)
            if let endpoint {
                Output.line()
                Output.template(
                    ClientConfigs.text(name: slug, url: endpoint), mark: ClientConfigs.tokenMark, token: issued.token)
                Output.line()
            }
            Output.line("The token is shown only once: store it now.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a workspace's tokens (never the tokens); revoked ones only with --all.")
        @OptionGroup var global: GlobalOptions
        @Argument var slug: String
        @Flag(help: "Also list revoked tokens, with when they were revoked.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let tokens = try global.openVault().workspaceTokens(workspace: slug, includeRevoked: all)
            if json {
                try Output.json(tokens.map(TokenJSON.init))
                return
            }
            Output.table(
                ["NAME", "FEATURESETS", "STATUS", "CREATED", "EXPIRES", "LAST USED"] + (all ? ["REVOKED"] : []),
                tokens.map {
                    [
                        $0.name, $0.featureSets.isEmpty ? "all" : $0.featureSets.joined(separator: ","),
                        TokenJSON.status($0), Output.time($0.createdAt), Output.time($0.expiresAt),
                        Output.time($0.lastUsedAt),
                    ] + (all ? [Output.time($0.revokedAt)] : [])
                }, empty: "No tokens in \(slug)" + (all ? "." : " (revoked ones: --all)."))
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name.")
        @OptionGroup var global: GlobalOptions
        @Argument var slug: String
        @Argument var name: String

        func run() throws {
            try global.openVault().revokeWorkspaceToken(workspace: slug, name: name)
            Output.line("Revoked token '\(name)' of workspace \(slug).")
        }
    }
}

struct TokenJSON: Encodable {
    let name: String
    let workspace: String?
    let featureSets: [String]
    let status: String
    let createdAt: String
    let expiresAt: String?
    let revokedAt: String?
    let lastUsedAt: String?

    init(_ token: TokenInfo) {
        name = token.name
        workspace = token.workspace
        featureSets = token.featureSets
        status = Self.status(token)
        createdAt = Output.time(token.createdAt)
        expiresAt = token.expiresAt.map(Output.time)
        revokedAt = token.revokedAt.map(Output.time)
        lastUsedAt = token.lastUsedAt.map(Output.time)
    }

    static func status(_ token: TokenInfo) -> String {
        if token.revokedAt != nil { return "revoked" }
        if !token.isUsable(now: Int64(Date().timeIntervalSince1970)) { return "expired" }
        return "active"
    }
}
