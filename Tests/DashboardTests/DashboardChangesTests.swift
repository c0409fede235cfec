import Foundation
import Testing
import Vault

@testable import Dashboard

/// Changes made in the dashboard: they happen, are audited as `dashboard`, refuse bad input with a clear message
/// and leave nothing half-done, and no secret value set through the page ever comes back out of it.
@Suite struct DashboardChangesTests {
    static func workspaceWithServer(_ browser: Browser) async throws {
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        let added = try await browser.submit(
            "/registry/add",
            [
                ("slug", "github"), ("transport", "stdio"), ("command", "gh-mcp"),
                ("env", "GITHUB_TOKEN=${GITHUB_TOKEN}"),
            ])
        #expect(added.body.contains("Added github"))
        #expect(
            try await browser.submit("/w/eng/servers/install", [("server", "github")]).body.contains("Installed github")
        )
    }

    @Test func aSecretValueSetThroughThePageIsNeverShownLoggedOrPutInAURL() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        try await Self.workspaceWithServer(browser)
        let value = "s3cr3t-\(UUID().uuidString)"
        var seen: [RawHTTP.Response] = []
        let set = try await browser.post(
            "/w/eng/secrets/set", [("server", "github"), ("name", "GITHUB_TOKEN"), ("value", value)])
        #expect(set.status == 303)
        #expect(!(set.header("Location") ?? "").contains(value))
        seen.append(set)
        seen.append(try await browser.get("/w/eng"))
        #expect(seen.last?.flash == "Set GITHUB_TOKEN of github: version 1")
        // A failed form: the value is not carried back into the page.
        let failed = try await browser.post(
            "/w/eng/secrets/set", [("server", "github"), ("name", "bad name!"), ("value", value)])
        seen.append(failed)
        seen.append(try await browser.get("/w/eng"))
        #expect(seen.last?.flash?.contains("bad name!") == true)
        #expect(
            try await browser.submit(
                "/w/eng/secrets/set", [("server", "github"), ("name", "GITHUB_TOKEN"), ("value", value + "2")]
            ).status == 200)
        seen.append(
            try await browser.submit(
                "/w/eng/secrets/rollback", [("server", "github"), ("name", "GITHUB_TOKEN"), ("version", "1")]))
        for path in ["/", "/w/eng", "/registry", "/live/generation"] { seen.append(try await browser.get(path)) }

        for response in seen { #expect(!response.whole.contains(value), "\(response.status)") }
        #expect(!fixture.log.text.contains(value))
        #expect(
            try !fixture.audit().contains { ($0.detail ?? "").contains(value) || ($0.target ?? "").contains(value) })
        // And it is the value the vault holds (rolled back to version 1).
        let stored = try fixture.cli.unsealSecret(server: "github", name: "GITHUB_TOKEN", workspace: "eng")
        #expect(stored == SecretValue(unsafeFromString: value))
    }

    @Test func everyChangeIsAuditedWithTheActorDashboard() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        try await Self.workspaceWithServer(browser)
        _ = try await browser.submit(
            "/w/eng/secrets/set", [("server", "github"), ("name", "GITHUB_TOKEN"), ("value", "v")])
        #expect(try await browser.post("/w/eng/tokens/create", [("name", "ci"), ("days", "30")]).status == 200)
        _ = try await browser.submit("/w/eng/tokens/revoke", [("name", "ci")])
        _ = try await browser.submit("/w/eng/servers/remove", [("server", "github")])
        let changes = try fixture.audit().filter { !$0.event.hasPrefix("dashboard.") && $0.event != "vault.init" }
        #expect(changes.map(\.event).count >= 7, "\(changes.map(\.event))")
        #expect(changes.allSatisfy { $0.actor == "dashboard" }, "\(changes.map(\.actor))")
        #expect(try fixture.cli.verifyAudit(against: nil).coversState)
    }

    @Test func aNewTokenIsShownOnceWithConfigsAndWorksAsAToken() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let created = try await browser.post("/workspaces", [("name", "Client A"), ("slug", "client-a")])
        #expect(created.status == 200)
        let token = String(try #require(created.body.firstMatch(of: /id="issued-token">(mwt_[A-Za-z0-9_-]{43})</)).1)
        #expect(created.body.contains("claude mcp add --transport http client-a"))
        #expect(
            created.body.contains(#""url": "http:\/\/127.0.0.1:8787\/ws\/client-a\/mcp""#)
                || created.body.contains("http://127.0.0.1:8787/ws/client-a/mcp"))
        #expect(try fixture.cli.authenticate(token: SecretValue(unsafeFromString: token)).workspace == "client-a")
        // Shown once: no later page holds it.
        for path in ["/", "/w/client-a"] { #expect(try await !browser.get(path).whole.contains(token)) }
    }

    @Test func badInputGetsAClearMessageAndChangesNothing() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        let before = try fixture.cli.generation()
        let cases: [(String, [(String, String)], String)] = [
            ("/workspaces", [("name", "Other"), ("slug", "Bad Slug!")], "invalid workspace slug"),
            ("/workspaces", [("name", "Eng again"), ("slug", "eng")], "already exists"),
            ("/registry/add", [("slug", "x__y"), ("command", "p")], "invalid server slug 'x__y'"),
            ("/registry/add", [("slug", "web"), ("transport", "http"), ("url", "ftp://x")], "http"),
            ("/registry/add", [("slug", "web"), ("transport", "stdio")], "the program of a stdio server is required"),
            ("/w/eng/servers/install", [("server", "nope")], "nope"),
            ("/registry/add", [("slug", "web"), ("command", "p"), ("env", "API_KEY sk-pasted")], "has no '='"),
            ("/w/eng/tokens/create", [("name", "default")], "already"),
            ("/w/eng/tokens/create", [("name", "ci"), ("days", "0")], "1 to 3650"),
            ("/w/eng/delete", [("confirm", "en")], "type the slug"),
            ("/w/nope/activate", [], "nope"),
        ]
        for (path, form, message) in cases {
            let page = try await browser.submit(path, form)
            #expect(page.status == 200, "\(path)")
            let flash = page.flash ?? ""
            #expect(page.body.contains("flash failed"), "\(path)")
            #expect(flash.localizedCaseInsensitiveContains(message), "\(path) \(form): \(flash)")
        }
        #expect(try fixture.cli.generation() == before)
        // A line pasted without its '=' may be a credential: the message does not repeat it.
        let pasted = try await browser.submit(
            "/registry/add", [("slug", "web"), ("command", "p"), ("env", "API_KEY sk-pasted")])
        #expect(!pasted.whole.contains("sk-pasted"))
        #expect(try fixture.cli.workspaces().map(\.slug) == ["eng"])
    }

    @Test func deletingAWorkspaceTakesItsTypedSlug() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        #expect(try await browser.post("/workspaces", [("name", "Eng")]).status == 200)
        #expect(try await browser.post("/workspaces", [("name", "Ops")]).status == 200)
        let page = try await browser.submit("/w/ops/delete", [("confirm", "ops")])
        #expect(page.body.contains("Deleted ops"))
        #expect(try fixture.cli.workspaces().map(\.slug) == ["eng"])
        #expect(try await browser.submit("/w/eng/activate", []).body.contains("eng is the active workspace"))
    }

    @Test func whatTheVaultHoldsIsTextOnThePageWhateverItSays() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        _ = try fixture.cli.createWorkspace(name: #"<script src="//evil.example/x.js"></script>"#, slug: "eng")
        try fixture.cli.addServer(
            ServerDefinition(slug: "evil", transport: .stdio(command: #""><img src=x onerror=alert(1)>"#, args: [])))
        for path in ["/", "/registry", "/w/eng"] {
            let body = try await browser.get(path).body
            #expect(!body.contains("evil.example/x.js\"></script>") && !body.contains("<img src=x"), "\(path)")
        }
    }
}
