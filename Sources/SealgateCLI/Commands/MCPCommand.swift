import ArgumentParser
import Vault

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Install servers into workspaces.",
        subcommands: [Install.self, Remove.self, List.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install a server (default: the active workspace).")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Option var workspace: String?

        func run() throws {
            let vault = try global.openVault()
            try vault.install(server: server, workspace: workspace)
            Output.line("Installed \(server) in \(try vault.workspace(workspace).slug).")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uninstall a server from a workspace.")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Option var workspace: String?

        func run() throws {
            let vault = try global.openVault()
            try vault.uninstall(server: server, workspace: workspace)
            Output.line("Removed \(server) from \(try vault.workspace(workspace).slug).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a workspace's servers, default-enabled ones included.")
        @OptionGroup var global: GlobalOptions
        @Option var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let vault = try global.openVault()
            let (ws, installed) = try vault.installedServers(workspace: workspace)
            // An HTTP server's OAuth state: `needs login` is what an operator must act on.
            let oauth = try installed.map { server -> String? in
                guard case .http = server.definition.transport else { return nil }
                let grant = try vault.oauthGrant(server: server.definition.slug, workspace: ws.slug)
                guard grant != nil || server.definition.oauth != nil else { return nil }
                return OAuthStatusJSON.state(of: grant)
            }
            if json {
                try Output.json(
                    zip(installed, oauth).map {
                        InstalledJSON(server: ServerJSON($0.definition), viaDefault: $0.viaDefault, oauth: $1)
                    })
                return
            }
            Output.table(
                ["SERVER", "TRANSPORT", "TARGET", "HOW", "OAUTH"],
                zip(installed, oauth).map {
                    let server = ServerJSON($0.definition)
                    return [
                        server.slug, server.transport, server.target, $0.viaDefault ? "default-enabled" : "installed",
                        $1 ?? "-",
                    ]
                }, empty: "No servers in \(ws.slug): run `sealgate mcp install SERVER --workspace \(ws.slug)`.")
            for (server, state) in zip(installed, oauth) where state == OAuthStatusJSON.needsLogin {
                Output.line(
                    "\(server.definition.slug) needs an OAuth login: run `sealgate oauth login \(server.definition.slug) --workspace \(ws.slug)`"
                )
            }
        }
    }
}

private struct InstalledJSON: Encodable {
    let server: ServerJSON
    let viaDefault: Bool
    /// `authorized`, `refreshing` or `needs login` for a server with OAuth; absent otherwise.
    let oauth: String?
}
