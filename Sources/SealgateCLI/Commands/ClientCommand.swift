import ArgumentParser
import Vault

struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Clients: one global token each, with grants in several workspaces.",
        subcommands: [Create.self, Grant.self, RevokeGrant.self, List.self, Revoke.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a client; its token is printed once.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: "Expire after this long: 30s, 15m, 2h, 7d.") var ttl: DurationArgument?

        func run() throws {
            let issued = try global.openVault().createClient(name: name, ttl: ttl?.seconds)
            Output.line(
                "Client \(name) created; grant it workspaces with `sealgate client grant \(name) --workspace WS`.")
            Output.token("Token: ", issued.token)
            Output.line("The token is shown only once: store it now.")
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Grant a client a workspace through FeatureSets (default all); replaces an earlier grant.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var workspace: String
        @Option(name: .customLong("featureset"), help: "Repeatable; default all.") var featureSets: [String] = []

        func run() throws {
            try global.openVault().grant(client: name, workspace: workspace, featureSets: featureSets)
            let sets = featureSets.isEmpty ? "all" : featureSets.joined(separator: ", ")
            Output.line("Granted \(name) access to \(workspace) through \(sets).")
        }
    }

    struct RevokeGrant: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-grant", abstract: "Take a workspace away from a client.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var workspace: String

        func run() throws {
            try global.openVault().revokeGrant(client: name, workspace: workspace)
            Output.line("Revoked the grant of \(name) in \(workspace).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List clients and their grants; revoked ones only with --all.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Also list revoked clients, with when they were revoked.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let clients = try global.openVault().clients(includeRevoked: all)
            if json {
                try Output.json(clients.map(ClientJSON.init))
                return
            }
            Output.table(
                ["NAME", "STATUS", "GRANTS", "LAST USED"] + (all ? ["REVOKED"] : []),
                clients.map {
                    [
                        $0.name, TokenJSON.status($0.token),
                        $0.grants.map { "\($0.workspace)(\($0.featureSets.joined(separator: ",")))" }
                            .joined(separator: " "),
                        Output.time($0.token.lastUsedAt),
                    ] + (all ? [Output.time($0.token.revokedAt)] : [])
                }, empty: "No clients yet: run `sealgate client create NAME`.")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a client: its token stops working; it stays listed (--all) and its name is free again.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            try global.openVault().revokeClient(name: name)
            Output.line("Revoked client \(name); `sealgate client create \(name)` may reuse the name.")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a client: its token stops working.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            try global.openVault().deleteClient(name: name)
            Output.line("Deleted client \(name).")
        }
    }
}

private struct ClientJSON: Encodable {
    struct GrantJSON: Encodable {
        let workspace: String
        let featureSets: [String]
    }
    let token: TokenJSON
    let grants: [GrantJSON]

    init(_ client: ClientInfo) {
        token = TokenJSON(client.token)
        grants = client.grants.map { GrantJSON(workspace: $0.workspace, featureSets: $0.featureSets) }
    }
}
