import ArgumentParser
import ClientSetup
import Foundation
import Vault

/// `sealgate client-config SLUG`: configurations for Claude Code, VS Code and Cursor that reach a workspace through
/// the gateway, with the token from `SEALGATE_TOKEN` (a placeholder when it is unset). Needs no vault: it only
/// writes text, so it runs wherever the client does.
struct ClientConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-config",
        abstract: "Print ready-to-paste configs for Claude Code, VS Code and Cursor (token from SEALGATE_TOKEN).",
        discussion: """
            `sealgate workspace token create SLUG --name NAME --client-config` prints the same for a new token.
            """)

    @Argument(help: "The workspace slug.") var slug: String
    @Option(help: "The gateway's base URL or the workspace's endpoint (default: http://127.0.0.1:8787).")
    var url: String?
    @Option(help: "The server's name in the client's configuration (default: the slug).") var name: String?

    static let placeholder = "<token of this workspace>"

    func run() throws {
        let endpoint = try ConnectEndpoint.resolve(slug: slug, url: url)
        if let warning = ConnectEndpoint.unencryptedWarning(endpoint) { Output.warning(warning) }
        let text = ClientConfigs.text(name: name ?? slug, url: endpoint)
        if let token = ProcessInfo.processInfo.environment["SEALGATE_TOKEN"], !token.isEmpty {
            Output.template(text, mark: ClientConfigs.tokenMark, token: SecretValue(unsafeFromString: token))
        } else {
            Output.line(text.replacingOccurrences(of: ClientConfigs.tokenMark, with: Self.placeholder))
            Output.warning(
                "SEALGATE_TOKEN is not set, so the configs hold a placeholder; set it to a token of \(slug), or "
                    + "create one with `sealgate workspace token create \(slug) --name NAME --client-config`")
        }
    }
}
