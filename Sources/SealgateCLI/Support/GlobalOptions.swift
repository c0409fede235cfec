import ArgumentParser
import Foundation
import Vault

/// Options every command takes: where the vault lives and how a passphrase vault unlocks.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The vault's home directory (default: $SEALGATE_HOME, else ~/.sealgate).")
    var home: String?

    @Option(name: .long, help: "Read the vault passphrase from this file (else $SEALGATE_PASSPHRASE, else a prompt).")
    var passphraseFile: String?

    var vaultHome: VaultHome {
        if let home { return VaultHome(path: home) }
        let environment = ProcessInfo.processInfo.environment
        if let home = environment["SEALGATE_HOME"], !home.isEmpty { return VaultHome(path: home) }
        return VaultHome(path: (environment["HOME"] ?? NSHomeDirectory()) + "/.sealgate")
    }

    /// Who the audit log names for this process's changes.
    static var actor: String {
        let uid = getuid()
        let user = getpwuid(uid).flatMap { String(validatingCString: $0.pointee.pw_name) } ?? "?"
        return "cli:\(user)(uid \(uid))"
    }

    func openVault() throws(VaultError) -> SecretVault {
        try SecretVault.open(home: vaultHome, actor: Self.actor, passphrase: passphrase)
    }

    /// The passphrase from `--passphrase-file`, `SEALGATE_PASSPHRASE`, or a prompt on the terminal.
    func passphrase() throws(VaultError) -> SecretValue {
        if let passphraseFile { return try SecretInput.readFile(passphraseFile, what: "passphrase") }
        if let value = ProcessInfo.processInfo.environment["SEALGATE_PASSPHRASE"], !value.isEmpty {
            return SecretValue(unsafeFromString: value)
        }
        guard let value = try SecretInput.promptOnTerminal("Vault passphrase: ") else {
            throw VaultError(
                .refused, "the vault is locked with a passphrase and there is no terminal to ask for it",
                remedy: "pass --passphrase-file FILE or set SEALGATE_PASSPHRASE")
        }
        return value
    }
}

/// Where the gateway will serve workspaces; printed by `workspace create`.
enum GatewayAddress {
    static var baseURL: String {
        let configured = ProcessInfo.processInfo.environment["SEALGATE_GATEWAY_URL"] ?? ""
        let base = configured.isEmpty ? "http://127.0.0.1:8787" : configured
        return base.hasSuffix("/") ? String(base.dropLast()) : base
    }

    static func workspaceURL(_ slug: String) -> String {
        "\(baseURL)/ws/\(slug)/mcp"
    }
}
