import BrokerProtocol
import Foundation
import Testing
import Vault

@testable import Dashboard

/// What the dashboard shows of the broker in its process: each server's live state, and the leases (revocable).
@Suite struct DashboardBrokerTests {
    @Test func aServersLiveStateIsShownBesideIt() async throws {
        let broker = FakeBroker()
        let fixture = try await DashboardFixture(broker: broker)
        let browser = try await fixture.signIn()
        _ = try fixture.cli.createWorkspace(name: "Eng")
        for slug in ["github", "time", "web", "idle"] {
            try fixture.cli.addServer(ServerDefinition(slug: slug, transport: .stdio(command: "x", args: [])))
            try fixture.cli.install(server: slug, workspace: "eng")
        }
        broker.states.withLock {
            $0 = [
                ServerLiveState(
                    workspace: "eng", server: "github", state: .needsLogin, instances: 0, starts: 3, failures: 0),
                ServerLiveState(
                    workspace: "eng", server: "time", state: .running, instances: 2, starts: 2, failures: 0),
                ServerLiveState(workspace: "eng", server: "web", state: .failing, instances: 0, starts: 1, failures: 4),
                ServerLiveState(
                    workspace: "ops", server: "idle", state: .running, instances: 1, starts: 1, failures: 0),
            ]
        }
        let page = try await browser.get("/w/eng").body
        #expect(page.contains(#"<td>github</td><td>stdio</td><td><span class="state-needs-login">needs login</span>"#))
        #expect(
            page.contains(#"<span class="state-running">running</span> <span class="muted">2 up, 2 starts, 0 failures"#)
        )
        #expect(
            page.contains(#"<span class="state-failing">failing</span> <span class="muted">0 up, 1 starts, 4 failures"#)
        )
        // ops's `idle` is running; eng's is not.
        #expect(page.contains(#"<td>idle</td><td>stdio</td><td><span class="state-stopped">stopped</span>"#))
    }

    @Test func aLeaseIsListedAndRevokedWithTheSessionsToken() async throws {
        let broker = FakeBroker()
        let fixture = try await DashboardFixture(broker: broker)
        let browser = try await fixture.signIn()
        let expires = Int64(Date().timeIntervalSince1970 * 1000) + 600_000
        broker.leases.withLock {
            $0 = [LeaseInfo(id: "lease_abc", workspace: "eng", server: "github", session: "s-1", expiresAt: expires)]
        }
        #expect(try await browser.get("/leases").body.contains("<code>lease_abc</code>"))
        let forged = try await fixture.request(
            "POST", "/leases/revoke", cookie: browser.cookie, form: [("lease", "lease_abc")])
        #expect(forged.status == 403)
        #expect(broker.leases.withLock { $0.count } == 1)
        let revoked = try await browser.submit("/leases/revoke", [("lease", "lease_abc")])
        #expect(revoked.flash == "Revoked lease_abc: its upstream session is closed")
        #expect(broker.leases.withLock { $0.isEmpty })
        let audited = try fixture.audit().last
        #expect(audited?.event == "lease.revoke" && audited?.actor == "dashboard" && audited?.detail == "lease_abc")
        let again = try await browser.submit("/leases/revoke", [("lease", "lease_abc")])
        #expect(again.flash?.hasPrefix("No lease lease_abc") == true)
    }
}
