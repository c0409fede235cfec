import ArgumentParser
import Broker
import Foundation

/// `sealgate connect SLUG`: a stdio MCP server for clients that can only spawn commands; every message goes to the
/// workspace's gateway URL with the token from `SEALGATE_TOKEN`.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract:
            "Bridge stdio to a workspace's gateway URL (token from SEALGATE_TOKEN), for clients that spawn commands.")

    @Argument(help: "The workspace slug.") var slug: String
    @Option(
        help: """
            The gateway's base URL (http://HOST:PORT, what `serve` prints), or the workspace's endpoint \
            (…/ws/SLUG/mcp). Default: $SEALGATE_GATEWAY_URL, else http://127.0.0.1:8787.
            """)
    var url: String?

    func run() async throws {
        let endpoint = try ConnectEndpoint.resolve(slug: slug, url: url)  // a usage error comes first
        if let warning = ConnectEndpoint.unencryptedWarning(endpoint) { Output.warning(warning) }
        guard let token = ProcessInfo.processInfo.environment["SEALGATE_TOKEN"], !token.isEmpty else {
            throw BrokerError(
                .refused, "no token: SEALGATE_TOKEN is not set",
                remedy: "set it to a token of workspace \(slug) (`sealgate workspace token create \(slug) --name NAME`)"
            )
        }
        try await StdioBridge(endpoint: endpoint, token: token, advice: BridgeAdvice(endpoint: endpoint, slug: slug))
            .run()
    }
}
