import Foundation
import Hummingbird
import Vault

/// The pages and the changes their forms make. Every change goes through `Actions.perform` (or, when it issues a
/// token, shows it at once), after `SessionGuard` checked the session and the CSRF token.
struct PageRoutes {
    let vault: DashboardVault
    let sessions: DashboardSessions
    /// The gateway's base URL, once it listens (for the MCP URLs the pages show).
    let gateway: @Sendable () -> String?
    let broker: any BrokerView

    var actions: Actions { Actions(vault: vault, sessions: sessions) }

    func frame(_ context: DashboardContext) async -> PageFrame {
        let session = context.session
        let generation = (try? await vault.run { vault throws(VaultError) in try vault.generation() }) ?? -1
        return PageFrame(
            csrf: session?.csrf ?? "", generation: generation,
            flash: session.flatMap { sessions.takeFlash(for: $0.id) })
    }

    func add(to router: Router<DashboardContext>) {
        addWorkspaces(to: router)
        addWorkspaceParts(to: router)
        addRegistry(to: router)
        addRecords(to: router)
        addLeases(to: router)
        addClients(to: router)
    }
}
