import Analytics
import Foundation
import Testing
import Vault

@testable import Dashboard

/// What happened, on pages: analytics as SVG charts with a table, and the audit log with its verification.
@Suite struct DashboardRecordsTests {
    @Test func analyticsChartCallsAndErrorsOverTimeAndLatencyPerToolAndCaller() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        _ = try fixture.cli.createWorkspace(name: "Eng")
        let minute = Int64(Date().timeIntervalSince1970) / 60
        var latency = LatencyHistogram()
        for milliseconds in [4, 5, 6, 80] { latency.record(.milliseconds(milliseconds)) }
        _ = try fixture.cli.recordUsage([
            UsageRecord(
                workspace: "eng", server: "github", tool: "<b>get_repo</b>", caller: "workspace:ci", minute: minute,
                calls: 4, errors: 1, latency: latency, lastUsedAt: minute * 60),
            UsageRecord(
                workspace: "eng", server: "time", tool: "now", caller: "client:cursor", minute: minute - 90, calls: 2,
                errors: 0, latency: latency, lastUsedAt: minute * 60 - 5400),
        ])
        let page = try await browser.get("/w/eng/analytics").body
        #expect(page.contains("<svg class=\"chart\""))
        #expect(
            page.contains("<title id=\"chart-calls-and-errors--last-24-hours\">Calls and errors, last 24 hours</title>")
        )
        #expect(page.contains("6 calls in all"))
        #expect(page.contains("github__&lt;b&gt;get_repo&lt;/b&gt;") && !page.contains("<b>get_repo"))
        #expect(page.contains("<td>workspace:ci</td><td>4</td><td>1</td>"))
        #expect(page.contains("p95 latency per tool"))
        // The last hour holds only the newer calls.
        let hour = try await browser.get("/w/eng/analytics?hours=1").body
        #expect(hour.contains("4 calls in all") && !hour.contains("time__now"))
        #expect(try await browser.get("/w/nope/analytics").status == 404)
        // The overview sums the last 24 hours per workspace: 6 calls, 1 error.
        #expect(try await browser.get("/").body.contains("<td>6</td><td>1</td>"))
    }

    @Test func theAuditLogFiltersAndVerifiesAndSaysWhenTheChainIsBroken() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        _ = try fixture.cli.createWorkspace(name: "Ops")
        let all = try await browser.get("/audit").body
        #expect(all.contains("<code>workspace.create</code>") && all.contains("<td>dashboard</td>"))
        let filtered = try await browser.get("/audit?workspace=ops").body
        #expect(filtered.contains("<td>ops</td>") && !filtered.contains("<td>eng</td>"))
        let byActor = try await browser.get("/audit?actor=dashboard&event=workspace").body
        #expect(byActor.contains("<td>eng</td>") && !byActor.contains("<td>ops</td>"))

        let verified = try await browser.submit("/audit/verify", [])
        #expect(verified.flash?.hasPrefix("Verified: ") == true, "\(verified.flash ?? "")")
        // An entry edited behind the vault's back: the page says the chain is broken.
        try fixture.tamper(
            "UPDATE audit SET actor = 'someone else' WHERE event = 'workspace.create' AND workspace = 'ops'")
        let broken = try await browser.submit("/audit/verify", [])
        #expect(broken.body.contains("flash failed"))
        #expect(
            broken.flash?.contains("integrity") == true || broken.flash?.contains("audit") == true,
            "\(broken.flash ?? "")")
    }
}
