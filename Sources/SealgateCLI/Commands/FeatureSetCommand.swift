import ArgumentParser
import Vault

struct FeatureSetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "featureset", abstract: "Permission bundles: glob allow/deny over tools, prompts and resources.",
        subcommands: [Create.self, List.self, Show.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a FeatureSet; deny wins over allow (no --allow means nothing is allowed).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var workspace: String?
        @Option(name: .customLong("allow"), help: "A glob such as 'github__*' (repeatable).") var allow: [String] = []
        @Option(name: .customLong("deny"), help: "A glob that wins over any allow (repeatable).") var deny: [String] =
            []

        func run() throws {
            let vault = try global.openVault()
            try vault.createFeatureSet(FeatureSet(name: name, allow: allow, deny: deny), workspace: workspace)
            Output.line("Created FeatureSet \(name) in \(try vault.workspace(workspace).slug).")
            if allow.isEmpty { Output.warning("no --allow pattern: this FeatureSet allows nothing") }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a workspace's FeatureSets.")
        @OptionGroup var global: GlobalOptions
        @Option var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, sets) = try global.openVault().featureSets(workspace: workspace)
            if json {
                try Output.json(sets.map(FeatureSetJSON.init))
                return
            }
            Output.table(
                ["NAME", "ALLOW", "DENY"],
                sets.map {
                    [
                        $0.name + ($0.isBuiltIn ? " (built in)" : ""), $0.allow.joined(separator: " "),
                        $0.deny.joined(separator: " "),
                    ]
                }, empty: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one FeatureSet.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (ws, sets) = try global.openVault().featureSets(workspace: workspace)
            guard let set = sets.first(where: { $0.name == name }) else {
                throw VaultError(
                    .notFound, "no FeatureSet '\(name)' in '\(ws.slug)'", remedy: "see `sealgate featureset list`")
            }
            if json {
                try Output.json(FeatureSetJSON(set))
                return
            }
            Output.line("FeatureSet \(set.name) in \(ws.slug)\(set.isBuiltIn ? " (built in)" : "")")
            Output.line("allow: \(set.allow.isEmpty ? "(nothing)" : set.allow.joined(separator: " "))")
            Output.line("deny:  \(set.deny.isEmpty ? "(nothing)" : set.deny.joined(separator: " "))")
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a FeatureSet no token or grant uses.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var workspace: String?

        func run() throws {
            try global.openVault().deleteFeatureSet(name: name, workspace: workspace)
            Output.line("Deleted FeatureSet \(name).")
        }
    }
}

private struct FeatureSetJSON: Encodable {
    let name: String
    let builtIn: Bool
    let allow: [String]
    let deny: [String]

    init(_ set: FeatureSet) {
        (name, builtIn, allow, deny) = (set.name, set.isBuiltIn, set.allow, set.deny)
    }
}
