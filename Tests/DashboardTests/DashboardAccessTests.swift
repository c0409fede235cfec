import Foundation
import Testing
import Vault

@testable import Dashboard

/// FeatureSets and clients from the dashboard: made, used, refused with a message, audited as `dashboard`.
@Suite struct DashboardAccessTests {
    @Test func aFeatureSetIsMadeGivenToATokenAndDeleted() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        let made = try await browser.submit(
            "/w/eng/featuresets/create",
            [("name", "readonly"), ("allow", "github__get_* time__*"), ("deny", "github__get_secret")])
        #expect(made.flash == "Created the FeatureSet readonly")
        #expect(made.body.contains("<code>github__get_* time__*</code>"))
        let stored = try fixture.cli.featureSets(workspace: "eng").1.filter { $0.name != FeatureSet.allName }
        #expect(
            stored == [FeatureSet(name: "readonly", allow: ["github__get_*", "time__*"], deny: ["github__get_secret"])])
        #expect(
            try await browser.post("/w/eng/tokens/create", [("name", "ci"), ("featureSets", "readonly")]).status == 200)
        #expect(
            try fixture.cli.workspaceTokens(workspace: "eng").first { $0.name == "ci" }?.featureSets == ["readonly"])
        let unknown = try await browser.submit("/w/eng/tokens/create", [("name", "cd"), ("featureSets", "nope")])
        #expect(
            unknown.body.contains("flash failed") && unknown.flash?.contains("nope") == true, "\(unknown.flash ?? "")")
        let empty = try await browser.submit("/w/eng/featuresets/create", [("name", "none"), ("allow", "")])
        #expect(empty.flash == "a FeatureSet allows at least one glob, e.g. github__get_*")
        let deleted = try await browser.submit("/w/eng/featuresets/delete", [("name", "readonly")])
        #expect(deleted.body.contains("flash"), "\(deleted.flash ?? "")")
        #expect(try fixture.audit().filter { $0.event.hasPrefix("featureset.") }.allSatisfy { $0.actor == "dashboard" })
    }

    @Test func aClientIsCreatedWithItsTokenShownOnceGrantedAndRevoked() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        let created = try await browser.post("/clients/create", [("name", "cursor")])
        #expect(created.status == 200)
        let token = String(try #require(created.body.firstMatch(of: /id="issued-token">(mwt_[A-Za-z0-9_-]{43})</)).1)
        #expect(created.body.contains("/active/mcp"))
        #expect(try fixture.cli.authenticate(token: SecretValue(unsafeFromString: token)).kind == .client)
        let granted = try await browser.submit("/clients/grant", [("name", "cursor"), ("workspace", "eng")])
        #expect(granted.flash == "Granted eng to cursor")
        #expect(try fixture.cli.clients().first?.grants.map(\.workspace) == ["eng"])
        #expect(try await !browser.get("/clients").whole.contains(token))
        let ungranted = try await browser.submit("/clients/ungrant", [("name", "cursor"), ("workspace", "eng")])
        #expect(ungranted.flash == "cursor no longer reaches eng")
        let revoked = try await browser.submit("/clients/revoke", [("name", "cursor")])
        #expect(revoked.flash == "Revoked cursor: it is refused")
        #expect(throws: VaultError.self) { try fixture.cli.authenticate(token: SecretValue(unsafeFromString: token)) }
        let duplicate = try await browser.post("/clients/create", [("name", "Bad Name")])
        #expect(duplicate.status == 303)
        let events = try fixture.audit().filter { $0.event.hasPrefix("client.") || $0.event.hasPrefix("grant.") }
        #expect(events.count >= 4 && events.allSatisfy { $0.actor == "dashboard" }, "\(events.map(\.event))")
    }
}
