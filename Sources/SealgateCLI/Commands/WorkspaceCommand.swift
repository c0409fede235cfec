import ArgumentParser
import Foundation
import Vault

struct WorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace", abstract: "Create, list, switch and delete workspaces; manage their tokens.",
        subcommands: [Create.self, List.self, Use.self, Delete.self, WorkspaceTokenCommand.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workspace; prints its slug, gateway URL and first token (once).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Display name, e.g. Engineering.") var name: String
        @Option(help: "The slug (default: derived from the name).") var slug: String?

        func run() throws {
            let vault = try global.openVault()
            let (workspace, token) = try vault.createWorkspace(name: name, slug: slug)
            Output.line("Workspace: \(workspace.name)")
            Output.line("Slug:      \(workspace.slug)")
            Output.line("URL:       \(GatewayAddress.workspaceURL(workspace.slug))")
            Output.token("Token: ", token.token)
            Output.line("The token is shown only once: store it now (it is named 'default').")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workspaces; '*' marks the active one.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let workspaces = try global.openVault().workspaces()
            if json {
                try Output.json(
                    workspaces.map {
                        WorkspaceJSON(
                            slug: $0.slug, name: $0.name, active: $0.isActive,
                            url: GatewayAddress.workspaceURL($0.slug),
                            createdAt: Output.time($0.createdAt))
                    })
                return
            }
            Output.table(
                ["", "SLUG", "NAME", "URL"],
                workspaces.map { [$0.isActive ? "*" : " ", $0.slug, $0.name, GatewayAddress.workspaceURL($0.slug)] },
                empty: "No workspaces yet: run `sealgate workspace create NAME`.")
        }
    }

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a workspace the active one.")
        @OptionGroup var global: GlobalOptions
        @Argument var slug: String

        func run() throws {
            try global.openVault().useWorkspace(slug)
            Output.line("Active workspace: \(slug)")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a workspace with its secrets, data key, tokens, grants and FeatureSets (irreversible).")
        @OptionGroup var global: GlobalOptions
        @Argument var slug: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() throws {
            let vault = try global.openVault()
            _ = try vault.workspace(slug)
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw VaultError(
                        .refused, "deleting '\(slug)' destroys its secrets and needs confirmation",
                        remedy: "pass --yes")
                }
                FileHandle.standardError.write(Data("Type the slug '\(slug)' to delete it for good: ".utf8))
                guard readLine() == slug else {
                    throw VaultError(.refused, "not confirmed; nothing was deleted")
                }
            }
            let complete = try vault.deleteWorkspace(slug)
            Output.line("Deleted workspace \(slug) and destroyed its data key.")
            Output.shredding(complete: complete)
        }
    }
}

private struct WorkspaceJSON: Encodable {
    let slug: String
    let name: String
    let active: Bool
    let url: String
    let createdAt: String
}
