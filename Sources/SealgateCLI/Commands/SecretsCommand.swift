import ArgumentParser
import Vault

struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Set, list, version, roll back and remove secrets. Values are never printed.",
        subcommands: [Set.self, List.self, History.self, Rollback.self, Remove.self, Verify.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a secret from stdin (typed without echo on a terminal); an existing name gets a new version."
        )
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Argument var name: String
        @Option var workspace: String?
        @Option(help: "The value on the command line (visible in `ps` and shell history; prefer stdin).")
        var value: String?

        func run() throws {
            let vault = try global.openVault()
            let secret: SecretValue
            if let value {
                Output.warning("--value shows the secret in `ps` and shell history; pipe it on stdin instead")
                secret = SecretValue(unsafeFromString: value)
            } else {
                secret = try SecretInput.readStandardInput(prompt: "Value for \(name): ")
            }
            let version = try vault.setSecret(server: server, name: name, value: secret, workspace: workspace)
            Output.line("Set \(server)/\(name) version \(version) in \(try vault.workspace(workspace).slug).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List secret names and versions (never values).")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String?
        @Option var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (ws, secrets) = try global.openVault().secrets(server: server, workspace: workspace)
            if json {
                try Output.json(secrets.map(SecretJSON.init))
                return
            }
            Output.table(
                ["SERVER", "NAME", "VERSION", "KEPT", "UPDATED"],
                secrets.map {
                    [$0.server, $0.name, "v\($0.currentVersion)", "\($0.versionCount)", Output.time($0.updatedAt)]
                }, empty: "No secrets in \(ws.slug).")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the kept versions of a secret.")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Argument var name: String
        @Option var workspace: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let history = try global.openVault().secretHistory(server: server, name: name, workspace: workspace)
            if json {
                try Output.json(history.map(VersionJSON.init))
                return
            }
            Output.table(
                ["", "VERSION", "CREATED", "BY", "NOTE"],
                history.map {
                    [
                        $0.isCurrent ? "*" : " ", "v\($0.version)", Output.time($0.createdAt), $0.createdBy,
                        $0.rolledBackFrom.map { "rollback to v\($0)" } ?? "",
                    ]
                }, empty: "No versions.")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an older version's value into a new, current version.")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Argument var name: String
        @Option(help: "The version to restore.") var to: Int64
        @Option var workspace: String?

        func run() throws {
            let version = try global.openVault().rollbackSecret(
                server: server, name: name, to: to, workspace: workspace)
            Output.line("\(server)/\(name) is now version \(version), a copy of version \(to).")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Destroy a secret and all its versions.")
        @OptionGroup var global: GlobalOptions
        @Argument var server: String
        @Argument var name: String
        @Option var workspace: String?

        func run() throws {
            let complete = try global.openVault().removeSecret(server: server, name: name, workspace: workspace)
            Output.line("Removed \(server)/\(name) and all its versions.")
            Output.shredding(complete: complete)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt every kept version (printing none) to prove the vault is whole.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this workspace (default: all).") var workspace: String?

        func run() throws {
            let count = try global.openVault().verifySecrets(workspace: workspace)
            Output.line("OK: \(count) secret versions decrypt and authenticate.")
        }
    }
}

private struct SecretJSON: Encodable {
    let server: String
    let name: String
    let version: Int64
    let kept: Int
    let updatedAt: String

    init(_ secret: SecretInfo) {
        (server, name, version, kept) = (secret.server, secret.name, secret.currentVersion, secret.versionCount)
        updatedAt = Output.time(secret.updatedAt)
    }
}

private struct VersionJSON: Encodable {
    let version: Int64
    let current: Bool
    let createdAt: String
    let createdBy: String
    let rolledBackFrom: Int64?

    init(_ info: SecretVersionInfo) {
        (version, current, createdBy, rolledBackFrom) = (
            info.version, info.isCurrent, info.createdBy, info.rolledBackFrom
        )
        createdAt = Output.time(info.createdAt)
    }
}
