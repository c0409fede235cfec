import BrokerProtocol
import Foundation

/// `/leases`: the short-lived injections the broker holds now (one per upstream session), soonest to expire
/// first; revoking one closes its upstream session at once (its client's next call opens a new one).
enum LeasesPage {
    static func render(_ frame: PageFrame, leases: [LeaseInfo], now: Int64) -> HTML {
        let rows = leases.map { lease -> HTML in
            let left = max(0, (lease.expiresAt - now) / 1000)
            return """
                <tr><td><code>\(lease.id)</code></td><td><a href="/w/\(lease.workspace)">\(lease.workspace)</a></td>\
                <td>\(lease.server)</td><td>\(lease.session)</td><td>\(left / 60) min \(left % 60) s</td>\
                <td>\(frame.button(
                    "Revoke", action: "/leases/revoke", style: "danger",
                    confirm: "Revoke \(lease.id)? Its upstream session closes now.", hidden: ["lease": lease.id]))</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No active lease: no upstream is open right now.</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">Lease</th><th scope="col">Workspace</th>
            <th scope="col">Server</th><th scope="col">Session</th><th scope="col">Expires in</th>
            <th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        return frame.page(title: "Leases", "<h1>Leases</h1>\(table)")
    }
}
