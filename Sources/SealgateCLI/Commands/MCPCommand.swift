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
            let (ws, installed) = try global.openVault().installedServers(workspace: workspace)
            if json {
                try Output.json(
                    installed.map { InstalledJSON(server: ServerJSON($0.definition), viaDefault: $0.viaDefault) })
                return
            }
            Output.table(
                ["SERVER", "TRANSPORT", "TARGET", "HOW"],
                installed.map {
                    let server = ServerJSON($0.definition)
                    return [
                        server.slug, server.transport, server.target, $0.viaDefault ? "default-enabled" : "installed",
                    ]
                }, empty: "No servers in \(ws.slug): run `sealgate mcp install SERVER --workspace \(ws.slug)`.")
        }
    }
}

private struct InstalledJSON: Encodable {
    let server: ServerJSON
    let viaDefault: Bool
}
