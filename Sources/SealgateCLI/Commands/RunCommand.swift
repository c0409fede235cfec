import ArgumentParser
import Broker
import Foundation
import Vault

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command with a server's environment and secrets (like `op run`); its output is masked.")

    @OptionGroup var global: GlobalOptions
    @Option var workspace: String?
    @Option var server: String
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after `--`.") var command: [String] = []

    func run() async throws {
        guard let executable = command.first else {
            throw ValidationError("give the command after `--`, e.g. sealgate run --server github -- env")
        }
        let vault = try global.openVault()
        let slug = try vault.workspace(workspace).slug
        let status = try await CommandRunner.run(
            vault: vault, workspace: slug, server: server, command: executable, arguments: Array(command.dropFirst()))
        throw ExitCode(status)
    }
}
