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
    @Option(help: "The gateway endpoint (default: http://127.0.0.1:8787/ws/SLUG/mcp).") var url: String?

    func run() async throws {
        guard let token = ProcessInfo.processInfo.environment["SEALGATE_TOKEN"], !token.isEmpty else {
            throw BrokerError(
                .refused, "no token: SEALGATE_TOKEN is not set",
                remedy: "set it to a token of workspace \(slug) (`sealgate workspace token create \(slug) --name NAME`)"
            )
        }
        let endpoint = url ?? "http://127.0.0.1:8787/ws/\(slug)/mcp"
        try await StdioBridge(endpoint: endpoint, token: token).run()
    }
}
