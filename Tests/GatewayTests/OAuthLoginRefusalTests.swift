import Foundation
import MCPWire
import TestSupport
import Testing

extension OAuthEndToEnd {
    /// `sealgate oauth login` against servers and redirects that must be refused: each ends with a clear error, and
    /// nothing of the login is stored.
    @Suite struct OAuthLoginRefusalTests {
        /// A vault with `api` at `url`, installed in `eng`.
        static func prepared(url: String) throws -> ServeHarness {
            let harness = try ServeHarness()
            _ = try harness.initialize()
            try harness.ok(["server", "add", "api", "--url", url])
            try harness.ok(["mcp", "install", "api", "--workspace", "eng"])
            return harness
        }

        /// Nothing of an OAuth login or registration is in the vault.
        static func expectNothingStored(
            _ harness: ServeHarness, _ c: OffThreadChecks, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let secrets = try harness.ok(["secrets", "list", "--workspace", "eng"])
            c.expect(!secrets.contains("oauth."), "\(secrets)", sourceLocation: sourceLocation)
            let status = try harness.ok(["oauth", "status", "--workspace", "eng"])
            c.expect(status.contains("No OAuth logins"), "\(status)", sourceLocation: sourceLocation)
        }

        @Test func anAuthorizationServerWithoutS256IsRefused() async throws {
            try await OffThreadChecks.run(Self.anAuthorizationServerWithoutS256IsRefused)
        }

        static func anAuthorizationServerWithoutS256IsRefused(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture(["--hostile", "no-s256"])
            let harness = try Self.prepared(url: fixture.mcpURL)
            let login = try OAuthLogin.run(harness)
            c.expect(login.status == 4, "\(login.stdout)\(login.stderr)")
            c.expect(login.stderr.contains("does not advertise PKCE with S256"), "\(login.stderr)")
            c.expect(!login.stdout.contains("/authorize?"), "no address is printed for a server that was refused")
            try Self.expectNothingStored(harness, c)
            c.expect(try fixture.stats()["registrations"] == 0)
        }

        @Test func metadataNamingAnotherIssuerIsRefused() async throws {
            try await OffThreadChecks.run(Self.metadataNamingAnotherIssuerIsRefused)
        }

        static func metadataNamingAnotherIssuerIsRefused(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture(["--hostile", "issuer-mismatch"])
            let harness = try Self.prepared(url: fixture.mcpURL)
            let login = try OAuthLogin.run(harness)
            c.expect(login.status == 4)
            c.expect(
                login.stderr.contains("names issuer \(fixture.issuer)/other, not \(fixture.issuer)"), "\(login.stderr)")
            try Self.expectNothingStored(harness, c)
        }

        /// A forged redirect (a page in the operator's browser, or another local user, posting to the listener) with
        /// a code of the attacker's and a state it guessed: the login stops and exchanges nothing.
        @Test func aRedirectWithAnotherStateIsRefused() async throws {
            try await OffThreadChecks.run(Self.aRedirectWithAnotherStateIsRefused)
        }

        static func aRedirectWithAnotherStateIsRefused(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture()
            let harness = try Self.prepared(url: fixture.mcpURL)
            let login = try OAuthLogin.run(harness) { address in
                let (redirect, state) = try OAuthLogin.redirect(of: address)
                let forged = "\(redirect)?code=attackers-code&state=\(state.dropLast())A&iss=\(fixture.issuer)"
                try OAuthLogin.follow(forged)
            }
            c.expect(login.status == 4)
            c.expect(login.stderr.contains("state does not match"), "\(login.stderr)")
            try Self.expectNothingStored(harness, c)
            c.expect(try fixture.stats()["token_requests"]?["authorization_code"] == nil)
        }

        @Test func noBrowserWithinTheTimeoutEndsTheLoginAndStoresNothing() async throws {
            try await OffThreadChecks.run(Self.noBrowserWithinTheTimeoutEndsTheLoginAndStoresNothing)
        }

        static func noBrowserWithinTheTimeoutEndsTheLoginAndStoresNothing(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture()
            let harness = try Self.prepared(url: fixture.mcpURL)
            let started = Date()
            let login = try OAuthLogin.run(harness, arguments: ["--timeout", "2s"]) { _ in }
            c.expect(login.status == 4)
            c.expect(login.stderr.contains("no browser came back"), "\(login.stderr)")
            c.expect(Date().timeIntervalSince(started) < 30)
            try Self.expectNothingStored(harness, c)
        }

        @Test func anUnreachableServerIsAClearError() async throws {
            try await OffThreadChecks.run(Self.anUnreachableServerIsAClearError)
        }

        static func anUnreachableServerIsAClearError(_ c: OffThreadChecks) throws {
            let port = try OAuthUpstreamTests.freePort()
            let harness = try Self.prepared(url: "http://127.0.0.1:\(port)/mcp")
            let login = try harness.run(["oauth", "login", "api", "--workspace", "eng", "--no-browser"])
            c.expect(login.status == 1)
            c.expect(login.stderr.contains("cannot reach http://127.0.0.1:\(port)"), "\(login.stderr)")
            try Self.expectNothingStored(harness, c)
        }

        @Test func aStdioServerOrAServerNotInstalledIsRefused() async throws {
            try await OffThreadChecks.run(Self.aStdioServerOrAServerNotInstalledIsRefused)
        }

        static func aStdioServerOrAServerNotInstalledIsRefused(_ c: OffThreadChecks) throws {
            let harness = try Self.prepared(url: "http://127.0.0.1:9/mcp")
            try harness.addTestUpstream("local")
            try harness.ok(["mcp", "install", "local", "--workspace", "eng"])
            let stdio = try harness.run(["oauth", "login", "local", "--workspace", "eng"])
            c.expect(stdio.status == 4 && stdio.stderr.contains("is a stdio server"), "\(stdio.stderr)")
            let missing = try harness.run(["oauth", "login", "nope", "--workspace", "eng"])
            c.expect(missing.status == 3 && missing.stderr.contains("sealgate mcp install nope"), "\(missing.stderr)")
            let logout = try harness.run(["oauth", "logout", "api", "--workspace", "eng"])
            c.expect(logout.status == 3 && logout.stderr.contains("no OAuth login"), "\(logout.stderr)")
            // The reserved names cannot be written or rolled back by hand.
            let reserved = try harness.run(["secrets", "set", "api", "oauth.tokens", "--workspace", "eng"], stdin: "x")
            c.expect(reserved.status == 64, "\(reserved.stderr)")
        }

        /// The headless variant: the operator pastes the address the browser ended on.
        @Test func aHeadlessLoginTakesThePastedAddress() async throws {
            try await OffThreadChecks.run(Self.aHeadlessLoginTakesThePastedAddress)
        }

        static func aHeadlessLoginTakesThePastedAddress(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture()
            let harness = try Self.prepared(url: fixture.mcpURL)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServeHarness.binary)
            process.arguments = ["oauth", "login", "api", "--workspace", "eng", "--headless"]
            process.environment = harness.environment
            let (out, err, input) = (Pipe(), Pipe(), Pipe())
            let collected = OutputCollector()
            (process.standardOutput, process.standardError, process.standardInput) = (out, err, input)
            collected.collect(out, err)
            try process.run()
            process.killIfStillRunning(after: 60)
            var address: String?
            let deadline = Date().addingTimeInterval(30)
            while address == nil, Date() < deadline {
                address = collected.text.firstMatch(of: /\s(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/).map {
                    String($0.1)
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            let authorize = try c.require(address)
            // The browser is sent to the redirect URI, where nothing listens: the operator copies the address instead.
            let components = try c.require(URLComponents(string: authorize))
            let response = try HTTP.request(
                port: fixture.port, "GET", components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? ""),
                headers: [("Host", "127.0.0.1:\(fixture.port)")])
            let location = try c.require(response.header("Location"))
            input.fileHandleForWriting.write(Data("\(location)\n".utf8))
            let ending = try process.waitForExit(within: 60)
            c.expect(ending.status == 0, "\(collected.text)")
            c.expect(try OAuthUpstreamTests.status(harness)["state"] == "authorized")
        }
    }
}
