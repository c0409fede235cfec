import ArgumentParser
import Foundation
import Vault

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the home directory, the key and the vault.")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Derive the key from a passphrase (Argon2id) instead of writing a key file.")
    var passphrase = false

    @Flag(help: "With --passphrase: use libsodium's SENSITIVE limits (1 GiB, several seconds) instead of MODERATE.")
    var sensitive = false

    func run() throws {
        let home = global.vaultHome
        let unlock: VaultUnlock
        if passphrase {
            unlock = .passphrase(try newPassphrase())
        } else {
            unlock = .keyFile
        }
        _ = try SecretVault.create(
            home: home, unlock: unlock, kdf: sensitive ? .sensitive : .moderate, actor: GlobalOptions.actor)
        Output.line("Initialised a vault in \(home.path)")
        if passphrase {
            Output.line("It unlocks with your passphrase: keep it safe, it cannot be recovered.")
        } else {
            Output.line("Key file: \(home.keyFilePath) (back it up: without it the vault cannot be opened)")
        }
        Output.line("Next: sealgate workspace create NAME")
    }

    /// A new passphrase: from the file or environment as given, or typed twice on the terminal.
    private func newPassphrase() throws(VaultError) -> SecretValue {
        if global.passphraseFile != nil || !(ProcessInfo.processInfo.environment["SEALGATE_PASSPHRASE"] ?? "").isEmpty {
            return try global.passphrase()
        }
        guard let first = try SecretInput.promptOnTerminal("New vault passphrase: "),
            let second = try SecretInput.promptOnTerminal("Repeat the passphrase: ")
        else {
            throw VaultError(
                .invalidInput, "no passphrase given",
                remedy: "type it at the prompt, pass --passphrase-file FILE or set SEALGATE_PASSPHRASE")
        }
        guard first == second else {
            throw VaultError(.invalidInput, "the passphrases differ", remedy: "run `sealgate init --passphrase` again")
        }
        return first
    }
}
