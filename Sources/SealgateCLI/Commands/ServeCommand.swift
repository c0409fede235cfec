import ArgumentParser
import Broker
import BrokerProtocol
import Dashboard
import Foundation
import Logging
import MCPWire
import Synchronization

/// `sealgate serve`: the broker in this process and the gateway as a child process, with one command.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker and the MCP gateway; prints each workspace's URL and a client config.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: BrokerOptions
    @Option(help: "Where the gateway listens (HOST:PORT; port 0 picks a free one).") var listen: ListenAddress =
        .default
    @Option(help: "2025-era sessions one token may hold at once (default 1024).") var maxSessionsPerToken: Int?
    @Option(help: "Where the web dashboard listens (HOST:PORT; default 127.0.0.1:8789; port 0 picks a free one).")
    var dashboard: ListenAddress = ListenAddress(host: "127.0.0.1", port: DashboardServer.defaultPort)
    @Flag(help: "Serve no dashboard.") var noDashboard = false

    func run() async throws {
        try await ListenCheck.verify(listen)
        if !noDashboard {
            guard DashboardServer.isLoopback(dashboard.host) else {
                throw ValidationError(
                    "--dashboard \(dashboard): the dashboard listens on loopback only (127.0.0.1 or ::1): it serves "
                        + "plain HTTP and admits only your own user's connections. From another machine, tunnel to it: "
                        + "ssh -L \(dashboard.port):127.0.0.1:\(dashboard.port) THIS-HOST (from a machine no one else "
                        + "uses: the tunnel's end admits every user there)")
            }
            try await ListenCheck.verify(dashboard, option: "--dashboard")
        }
        let runtime = try BrokerRuntime(global: global, options: options, dashboard: !noDashboard)
        if let limit = maxSessionsPerToken, limit < 1 {
            throw ValidationError("--max-sessions-per-token must be at least 1")
        }
        let child = GatewayChild(
            socketPath: runtime.socketPath, listen: listen, logLevel: options.logLevel,
            maxSessionsPerToken: maxSessionsPerToken, logger: runtime.logger)
        let host = listen.host
        let announced = Announcement()
        let gatewayBase = GatewayBase()
        let home = global.vaultHome
        let dashboardServer = runtime.dashboardVault.map { vault in
            DashboardServer(
                host: dashboard.host, port: dashboard.port, vault: vault, broker: runtime.broker,
                logger: runtime.logger,
                gateway: { gatewayBase.value })
        }
        let dashboardHost = dashboard.host
        defer { DashboardAddress.remove(home: home) }
        // The gateway needs the socket: it starts once the broker accepts connections.
        try await runtime.run {
            await withTaskGroup(of: Void.self) { group in
                let (dashboardPort, listening) = AsyncStream<Int>.makeStream()
                if let dashboardServer {
                    group.addTask {
                        do {
                            try await dashboardServer.run { port in
                                let base = DashboardServer.baseURL(host: dashboardHost, port: port)
                                DashboardAddress.write(base, home: home)
                                listening.yield(port)
                                listening.finish()
                            }
                        } catch {
                            runtime.logger.error("the dashboard stopped: \(error)")
                        }
                        listening.finish()
                    }
                } else {
                    listening.finish()
                }
                group.addTask {
                    await child.supervise { port in
                        gatewayBase.set("http://\(host.contains(":") ? "[\(host)]" : host):\(port)")
                        guard announced.first() else { return }
                        Task {
                            var link: String?
                            for await port in dashboardPort {
                                // Made by the dashboard's own handle, so audited as `dashboard`.
                                link = await runtime.dashboardVault?.oneTimeLink().map {
                                    "\(DashboardServer.baseURL(host: dashboardHost, port: port))/login?link=\($0)"
                                }
                            }
                            let snapshot = await runtime.broker.currentSnapshot()
                            Output.line(ServeCommand.banner(host: host, port: port, snapshot: snapshot))
                            if let link { Output.line("\nDashboard: \(link)") }
                        }
                    }
                }
            }
        }
    }

    /// The URLs and a ready-to-paste client configuration (tokens are shown once, at creation, so a placeholder).
    static func banner(host: String, port: Int, snapshot: ConfigSnapshot?) -> String {
        let base = "http://\(host):\(port)"
        var lines = ["Sealgate is serving on \(base) (broker and gateway running; Ctrl-C stops both)", ""]
        var servers = JSONObject()
        for workspace in snapshot?.workspaces ?? [] {
            let active = workspace.slug == snapshot?.activeWorkspace ? " (active)" : ""
            lines.append(
                "  \(workspace.slug)\(active): \(base)/ws/\(workspace.slug)/mcp   legacy SSE: \(base)/ws/\(workspace.slug)/sse"
            )
            servers[workspace.slug] = .object([
                "url": .string("\(base)/ws/\(workspace.slug)/mcp"),
                "headers": .object(["Authorization": "Bearer <token of this workspace>"]),
            ])
        }
        if snapshot?.workspaces.isEmpty ?? true {
            lines.append("  no workspace yet: sealgate workspace create NAME")
        }
        lines.append("  following the active workspace: \(base)/active/mcp")
        lines.append("")
        lines.append("Client config (mcpServers):")
        lines.append(JSONValue.object(["mcpServers": .object(servers)]).serializedString)
        let slug = snapshot?.workspaces.first?.slug ?? "SLUG"
        lines.append(
            "Configs for Claude Code, VS Code and Cursor, with a token in SEALGATE_TOKEN: "
                + "sealgate client-config \(slug) --url \(base)")
        return lines.joined(separator: "\n")
    }
}

/// The dashboard asks the broker of this process for live states and leases.
extension CredentialBroker: BrokerView {}

/// The gateway's base URL once it listens, for the dashboard's pages.
private final class GatewayBase: Sendable {
    private let base = Mutex<String?>(nil)
    var value: String? { base.withLock { $0 } }
    func set(_ value: String) { base.withLock { $0 = value } }
}

/// Prints the banner once, not on every gateway restart.
private final class Announcement: Sendable {
    private let done = Atomic<Bool>(false)
    func first() -> Bool { !done.exchange(true, ordering: .relaxed) }
}
