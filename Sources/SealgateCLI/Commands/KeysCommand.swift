import ArgumentParser
import Vault

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Rotate the master key or a workspace's data key.",
        subcommands: [Rotate.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every data key under a new master key, or (--workspace) re-seal a workspace's "
                + "secrets under a new data key. Each is one transaction.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Rotate this workspace's data key instead of the master key.") var workspace: String?
        @Option(help: "Passphrase vaults: change to the passphrase in this file.") var newPassphraseFile: String?

        func run() throws {
            let vault = try global.openVault()
            if let workspace {
                let complete = try vault.rotateWorkspaceKey(workspace: workspace)
                Output.line("Re-sealed the secrets of \(workspace) under a new data key; the old one is destroyed.")
                Output.shredding(complete: complete)
            } else if SecretVault.needsPassphrase(home: vault.home) {
                let passphrase =
                    try newPassphraseFile.map { path throws(VaultError) in
                        try SecretInput.readFile(path, what: "new passphrase")
                    } ?? global.passphrase()
                let complete = try vault.rotatePassphrase(passphrase)
                Output.line("Re-wrapped every data key under a key derived with a fresh salt.")
                Output.shredding(complete: complete)
            } else {
                guard newPassphraseFile == nil else {
                    throw VaultError(.invalidInput, "--new-passphrase-file is for vaults that unlock with a passphrase")
                }
                let complete = try vault.rotateMasterKey()
                Output.line("Re-wrapped every data key under a new master key; \(vault.home.keyFilePath) was replaced.")
                Output.shredding(complete: complete)
                Output.line("Back up the new key file: the old one no longer opens the vault.")
            }
        }
    }
}
