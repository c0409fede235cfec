import Foundation
import Synchronization
import Testing
import Vault

@testable import Dashboard

/// The dashboard as an attacker meets it over HTTP: a used or made-up link, no session, a forged form, another
/// site's page, a rebound DNS name. Each test fails if its guard is taken away.
@Suite struct DashboardSecurityTests {
    @Test func aLinkSignsInOnceIntoAStrictHttpOnlyCookieAndLeavesTheAddressBar() async throws {
        let fixture = try await DashboardFixture()
        let link = try fixture.link()
        let first = try await fixture.request("GET", "/login?link=\(link)")
        #expect(first.status == 303)
        #expect(first.header("Location") == "/")  // the link does not stay in the address bar
        let setCookie = try #require(first.headers("Set-Cookie").first)
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        #expect(!setCookie.contains("Secure"))  // plain HTTP on loopback: a Secure cookie would never come back

        let again = try await fixture.request("GET", "/login?link=\(link)")
        #expect(again.status == 403)
        #expect(again.cookie == nil)
        for forged in ["mdl_" + String(repeating: "A", count: 43), "", "mwt_x", String(link.dropLast()) + "B"] {
            let response = try await fixture.request("GET", "/login?link=\(forged)")
            #expect(response.status == 403 && response.cookie == nil, "\(forged)")
        }
        let cookie = try #require(first.cookie)
        #expect(try await fixture.request("GET", "/", cookie: cookie).status == 200)
    }

    @Test func withoutASessionNothingIsShownOrChanged() async throws {
        let fixture = try await DashboardFixture()
        for path in ["/", "/w/eng", "/registry", "/live/generation", Script.path] {
            let response = try await fixture.request("GET", path)
            #expect(response.status == 401, "\(path)")
            #expect(!response.body.contains("_csrf"))
        }
        let madeUp = try await fixture.request("GET", "/", cookie: "R9TMo2nP39EGLGkMlVr8WuYvnEvI577Ia3l64Uo5xgc")
        #expect(madeUp.status == 401)
        let post = try await fixture.request("POST", "/workspaces", form: [("name", "Intruder")])
        #expect(post.status == 401)
        #expect(try fixture.cli.workspaces().isEmpty)
    }

    @Test func everyChangeNeedsItsSessionsCSRFTokenAndThisOrigin() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let other = try await fixture.signIn()
        #expect(other.csrf != browser.csrf)
        let attempts: [(String, [(String, String)], [(String, String)])] = [
            ("no token", [("name", "A")], []),
            ("a wrong token", [("_csrf", "x"), ("name", "A")], []),
            ("another session's token", [("_csrf", other.csrf), ("name", "A")], []),
            ("another site's page", [("_csrf", browser.csrf), ("name", "A")], [("Origin", "http://evil.example")]),
            ("a cross-site fetch", [("_csrf", browser.csrf), ("name", "A")], [("Sec-Fetch-Site", "cross-site")]),
        ]
        for (what, form, extra) in attempts {
            let response = try await fixture.request(
                "POST", "/workspaces", cookie: browser.cookie, form: form, headers: [("Host", "127.0.0.1")] + extra)
            #expect(response.status == 403, "\(what)")
        }
        #expect(try fixture.cli.workspaces().isEmpty)
        let sameOrigin = try await fixture.request(
            "POST", "/workspaces", cookie: browser.cookie, form: [("_csrf", browser.csrf), ("name", "A")],
            headers: [
                ("Host", "127.0.0.1:PORT"), ("Origin", "http://127.0.0.1:PORT"), ("Sec-Fetch-Site", "same-origin"),
            ])
        #expect(sameOrigin.status == 200)
        #expect(try fixture.cli.workspaces().map(\.slug) == ["a"])
    }

    @Test func everyResponseCarriesAPolicyWithoutInlineScriptOrFraming() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let responses = [
            try await browser.get("/"), try await browser.get("/nowhere"), try await fixture.request("GET", "/"),
            try await fixture.request("GET", "/login?link=nope"),
            try await browser.post("/workspaces", [("_csrf", "x")]),
            try await fixture.request("GET", "/", headers: [("Host", "evil.example")]),
            try await browser.get(Script.path),
        ]
        for response in responses {
            let policy = try #require(response.header("Content-Security-Policy"), "\(response.status)")
            #expect(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            #expect(response.header("X-Frame-Options") == "DENY")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            // Not `no-referrer`: under it Chromium posts a form with `Origin: null`, which the origin check refuses.
            #expect(response.header("Referrer-Policy") == "same-origin")
            #expect(response.header("Cache-Control") == "no-store")
        }
        // No page holds inline script: every script is the dashboard's own file.
        let page = try await browser.get("/").body
        #expect(page.matches(of: /<script[^>]*>/).allSatisfy { $0.output.contains("src=\"\(Script.path)\"") })
        #expect(!page.contains(" onclick=") && !page.contains("javascript:"))
    }

    @Test(arguments: [
        ("evil.example", false), ("evil.example:PORT", false), ("localhost.evil.example:PORT", false),
        ("127.0.0.1.nip.io", false), ("127.0.0.1:PORT", true), ("localhost:PORT", true), ("[::1]:PORT", true),
    ])
    func onlyThisMachinesNamesAreServed(host: String, served: Bool) async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let response = try await fixture.request("GET", "/", cookie: browser.cookie, headers: [("Host", host)])
        #expect((response.status == 200) == served, "\(host): \(response.status)")
        if !served { #expect(response.status == 421 && !response.body.contains("_csrf")) }
    }

    @Test func aSecondHostHeaderIsRefused() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let response = try await fixture.request(
            "GET", "/", cookie: browser.cookie, headers: [("Host", "127.0.0.1:PORT"), ("Host", "evil.example")])
        #expect(response.status == 421)
    }

    @Test func anIdleSessionEndsAndSigningOutEndsItAtOnce() async throws {
        let elapsed = Mutex(Duration.zero)
        let start = ContinuousClock.now
        let sessions = DashboardSessions(idleLimit: .seconds(60)) { start + elapsed.withLock { $0 } }
        let fixture = try await DashboardFixture(sessions: sessions)
        let browser = try await fixture.signIn()
        elapsed.withLock { $0 += .seconds(59) }
        #expect(try await browser.get("/").status == 200)  // seen: its idle time starts again
        elapsed.withLock { $0 += .seconds(59) }
        #expect(try await browser.get("/").status == 200)
        // The page's own poll, every second, is not activity: a tab nobody looks at does not keep the session.
        for _ in 0..<2 {
            elapsed.withLock { $0 += .seconds(20) }
            #expect(try await browser.get("/live/generation").status == 200)
        }
        // Nor is its reload of the page after a change (the script marks it).
        let reload = try await fixture.request(
            "GET", "/", cookie: browser.cookie, headers: [("Host", "127.0.0.1"), ("X-Sealgate-Live", "1")])
        #expect(reload.status == 200)
        elapsed.withLock { $0 += .seconds(25) }  // 65 s since the last page the user asked for
        #expect(try await browser.get("/").status == 401)

        let second = try await fixture.signIn()
        #expect(try await second.post("/logout", []).status == 200)
        #expect(try await second.get("/").status == 401)
    }

    @Test func theSessionTableForgetsIdleAndOldSessionsAndKeepsItsSize() {
        let sessions = DashboardSessions(idleLimit: .seconds(60), absoluteLimit: .seconds(600), maximum: 2)
        let start = ContinuousClock.now
        let a = sessions.open(now: start)
        #expect(sessions.session(a.id, now: start + .seconds(59)) != nil)
        #expect(sessions.session(a.id, now: start + .seconds(59 + 61)) == nil)  // idle
        let b = sessions.open(now: start)
        for minute in 1...11 { _ = sessions.session(b.id, now: start + .seconds(minute * 55)) }
        #expect(sessions.session(b.id, now: start + .seconds(601)) == nil)  // too old, however active
        let c = sessions.open(now: start)
        _ = sessions.open(now: start + .seconds(1))
        _ = sessions.open(now: start + .seconds(2))
        #expect(sessions.count == 2 && sessions.session(c.id, now: start + .seconds(3)) == nil)
    }
}
