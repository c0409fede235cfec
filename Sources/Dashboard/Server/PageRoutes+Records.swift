import Foundation
import Hummingbird
import Vault

/// What happened and what is open: analytics, the audit log, the leases.
extension PageRoutes {
    func addRecords(to router: Router<DashboardContext>) {
        router.get("/w/:slug/analytics") { request, context in
            let slug = try context.parameters.require("slug")
            let hours = request.uri.queryParameters["hours"].flatMap { Int(String($0)) }
            let window = AnalyticsPage.window(hours)
            let now = Int64(Date().timeIntervalSince1970)
            let (workspace, records) = try await vault.run { vault throws(VaultError) in
                (
                    try vault.workspace(slug),
                    try vault.usage(workspace: slug, since: (now - Int64(window.hours * 3600)) * 1000)
                )
            }
            return Response.html(
                AnalyticsPage.render(
                    await frame(context), workspace: workspace, records: records, hours: hours, now: now))
        }
        router.get("/audit") { request, context in
            func parameter(_ name: String) -> String? {
                request.uri.queryParameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            }
            let filter = AuditPage.Filter(
                workspace: parameter("workspace"), event: parameter("event"), actor: parameter("actor"))
            let (entries, workspaces) = try await vault.run { vault throws(VaultError) in
                (try vault.auditEntries(workspace: filter.workspace), try vault.workspaces().map(\.slug))
            }
            return Response.html(
                AuditPage.render(await frame(context), entries: entries, filter: filter, workspaces: workspaces))
        }
        router.post("/audit/verify") { request, context in
            try await actions.perform(request, context, back: "/audit") { _, vault throws(DashboardFailure) in
                let verification = try vault.attempt { vault throws(VaultError) in try vault.verifyAudit(against: nil) }
                return "Verified: \(verification.entries) entries, chain intact, head \(verification.head)"
            }
        }
    }

    func addLeases(to router: Router<DashboardContext>) {
        router.get("/leases") { _, context in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            return Response.html(LeasesPage.render(await frame(context), leases: await broker.activeLeases(), now: now))
        }
        router.post("/leases/revoke") { request, context in
            let form = try await Actions.form(request, context: context)
            let id = form.text("lease") ?? ""
            let revoked = await broker.revokeLease(id)
            if let lease = revoked {
                // Audited here, so that the entry names the dashboard, not the broker. `try?`: the lease is revoked
                // either way, and the broker's own lease entries are the same best effort.
                try? await vault.run { vault throws(VaultError) in
                    try vault.recordEvent("lease.revoke", workspace: lease.workspace, target: lease.server, detail: id)
                }
            }
            sessions.setFlash(
                revoked != nil
                    ? .init(kind: .done, text: "Revoked \(id): its upstream session is closed")
                    : .init(kind: .failed, text: "No lease \(id): it has expired or was revoked already"),
                for: context.session?.id ?? "")
            return Response.seeOther("/leases")
        }
    }

    /// What happened: analytics and the audit log.
}
