import Foundation
import MCPWire
import TestSupport
import Testing

extension OAuthEndToEnd {
    /// Upstream OAuth end to end, against an MCP server whose OAuth is the official Python SDK's (`OAuthFixture`):
    /// `sealgate oauth login` with the browser played by following the redirect, then `serve` calling through the
    /// broker, which injects, refreshes and gives up on the grant as the issue requires.
    @Suite struct OAuthUpstreamTests {
        /// A vault with workspace `eng`, the fixture added and installed as `api`, and a login done; returns the
        /// harness (not started) and the workspace token.
        static func loggedIn(
            _ fixture: OAuthFixture, serverOptions: [String] = [], loginOptions: [String] = []
        ) throws -> (ServeHarness, String) {
            let harness = try ServeHarness()
            let token = try harness.initialize()
            try harness.ok(["server", "add", "api", "--url", fixture.mcpURL] + serverOptions)
            try harness.ok(["mcp", "install", "api", "--workspace", "eng"])
            let login = try OAuthLogin.run(harness, arguments: loginOptions)
            guard login.status == 0, login.stdout.contains("Logged in to api for eng at \(fixture.issuer)") else {
                throw HarnessError("the login failed (\(login.status)): \(login.stdout)\n\(login.stderr)")
            }
            return (harness, token)
        }

        static func call(
            _ harness: ServeHarness, token: String, tool: String, arguments: String = "{}", id: Int = 1
        ) throws -> HTTP.Response {
            try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: id, method: "tools/call",
                params: #""name":"api__\#(tool)","arguments":\#(arguments)"#, name: "api__\(tool)")
        }

        /// The text of a tool result, or the error message.
        static func answer(_ response: HTTP.Response) -> String {
            let json = response.json
            return json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
                ?? json?["error"]?["message"]?.stringValue ?? response.text
        }

        static func status(_ harness: ServeHarness) throws -> JSONValue {
            let out = try harness.ok(["oauth", "status", "--workspace", "eng", "--json"])
            guard let first = try JSONParser.parse(Array(out.utf8)).arrayValue?.first else {
                throw HarnessError("no grant in oauth status: \(out)")
            }
            return first
        }

        @Test(.timeLimit(.minutes(3))) func aLoginServesCallsAndTheBrokerRefreshesBeforeTheTokenExpires() async throws {
            try await OffThreadChecks.run(Self.aLoginServesCallsAndTheBrokerRefreshesBeforeTheTokenExpires)
        }

        static func aLoginServesCallsAndTheBrokerRefreshesBeforeTheTokenExpires(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture(["--token-lifetime", "4"])
            let (harness, token) = try Self.loggedIn(fixture)
            let first = try Self.status(harness)
            c.expect(first["state"] == "authorized" && first["issuer"]?.stringValue == fixture.issuer)
            c.expect(first["scopes"] == ["mcp"] && first["refreshedAt"] == nil)
            let firstExpiry = try c.require(first["expiresAt"]?.intValue)
            try harness.start()
            defer { harness.stop() }

            let whoami = try JSONParser.parse(
                Array(Self.answer(try Self.call(harness, token: token, tool: "whoami")).utf8))
            let firstToken = try c.require(whoami["token_sha256"]?.stringValue)
            c.expect(whoami["resource"]?.stringValue == fixture.mcpURL)
            // Calls every 300 ms across two lifetimes and more: none fails, and the first refresh came before the
            // first token expired (not after a 401).
            var refreshedAt: Int?
            let end = Date().addingTimeInterval(9)
            var id = 2
            while Date() < end {
                let call = try Self.call(harness, token: token, tool: "add", arguments: #"{"a":\#(id),"b":1}"#, id: id)
                c.expect(Self.answer(call) == "\(id + 1)", "\(call.text)")
                if refreshedAt == nil { refreshedAt = try Self.status(harness)["refreshedAt"]?.intValue }
                id += 1
                Thread.sleep(forTimeInterval: 0.3)
            }
            let refreshed = try c.require(refreshedAt)
            c.expect(refreshed < firstExpiry, "refreshed at \(refreshed), after the token expired at \(firstExpiry)")
            let later = try JSONParser.parse(
                Array(Self.answer(try Self.call(harness, token: token, tool: "whoami")).utf8))
            c.expect(later["token_sha256"]?.stringValue != firstToken)

            let stats = try fixture.stats()
            c.expect((stats["refresh_succeeded"]?.intValue ?? 0) >= 2, "\(stats)")
            c.expect(stats["refresh_invalid_grant"] == 0)
            c.expect(stats["registrations"] == 1)
            // PKCE S256 and the RFC 8707 resource on the authorization request and on every token request.
            c.expect(stats["authorize_s256"] == [true])
            c.expect(stats["authorize_resources"] == [.string(fixture.mcpURL)])
            let resources = stats["token_resources"]?.arrayValue ?? []
            c.expect(!resources.isEmpty && resources.allSatisfy { $0.stringValue == fixture.mcpURL }, "\(resources)")
            let audit = try harness.ok(["audit", "show"])
            c.expect(audit.contains("oauth.login") && audit.contains("oauth.refresh"))
            try harness.ok(["audit", "verify"])
        }

        /// Eight 2025-era sessions, each with its own upstream session, share one grant whose refresh token rotates:
        /// across several refreshes none of their calls fails, and the authorization server never sees a refresh
        /// token used twice.
        @Test(.timeLimit(.minutes(3))) func eightSessionsShareOneRotatingRefreshTokenWithoutARace() async throws {
            try await OffThreadChecks.run(Self.eightSessionsShareOneRotatingRefreshTokenWithoutARace)
        }

        static func eightSessionsShareOneRotatingRefreshTokenWithoutARace(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture(["--token-lifetime", "3"])
            let (harness, token) = try Self.loggedIn(fixture)
            try harness.start()
            defer { harness.stop() }
            let sessions = try (0..<8).map { _ in
                try HotReloadTests.legacySession(harness, token: token, path: harness.path()).id
            }
            let failures = Failures()
            let end = Date().addingTimeInterval(8)
            DispatchQueue.concurrentPerform(iterations: sessions.count) { index in
                var id = 100
                while Date() < end {
                    id += 1
                    do {
                        let response = try HTTP.post(
                            port: harness.port, harness.path(), token: token,
                            #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"api__add","arguments":{"a":\#(index),"b":\#(id)}}}"#,
                            headers: [("Mcp-Session-Id", sessions[index]), ("MCP-Protocol-Version", "2025-11-25")])
                        if Self.answer(response) != "\(index + id)" {
                            failures.add("session \(index): \(response.text)")
                        }
                    } catch {
                        failures.add("session \(index): \(error)")
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
            c.expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
            let stats = try fixture.stats()
            c.expect((stats["refresh_succeeded"]?.intValue ?? 0) >= 2, "\(stats)")
            c.expect(stats["refresh_invalid_grant"] == 0, "\(stats)")
        }

        /// A hostile upstream sends the token a refresh issued on its session's own stream, which the broker opened
        /// before that refresh: the stream masks it all the same.
        @Test(.timeLimit(.minutes(3))) func aStreamOpenedBeforeARefreshMasksTheRefreshedToken() async throws {
            try await OffThreadChecks.run(Self.aStreamOpenedBeforeARefreshMasksTheRefreshedToken)
        }

        static func aStreamOpenedBeforeARefreshMasksTheRefreshedToken(_ c: OffThreadChecks) throws {
            // 2025-era only: a 2026-07-28 server has no stream of its session for the message to come on.
            let fixture = try OAuthFixture(["--token-lifetime", "3", "--legacy-only"])
            let (harness, token) = try Self.loggedIn(fixture)
            try harness.start()
            defer { harness.stop() }
            let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
            func call(_ id: Int, _ tool: String, _ arguments: String) throws -> HTTP.Response {
                try HTTP.post(
                    port: harness.port, harness.path(), token: token,
                    #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"api__\#(tool)","arguments":\#(arguments)}}"#,
                    headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
            }
            c.expect(Self.answer(try call(1, "leak_newest_token_later", #"{"delay":6}"#)) == "scheduled")
            var id = 2
            let end = Date().addingTimeInterval(5)
            while Date() < end {
                c.expect(Self.answer(try call(id, "add", #"{"a":1,"b":1}"#)) == "2")
                id += 1
                Thread.sleep(forTimeInterval: 0.3)
            }
            c.expect((try fixture.stats()["refresh_succeeded"]?.intValue ?? 0) >= 1)
            var heard: String?
            let deadline = Date().addingTimeInterval(15)
            while heard == nil, Date() < deadline {
                if let event = try? stream.nextEventData(timeout: 1), event.contains("newest token") { heard = event }
            }
            let event = try c.require(heard, "the log message did not arrive: \(harness.logs)")
            c.expect(event.contains("newest token [REDACTED:OAUTH_ACCESS_TOKEN]"), "\(event)")
            for needle in try fixture.tokens().access { c.expect(!event.contains(needle)) }
        }

        @Test(.timeLimit(.minutes(3))) func aRevokedGrantNeedsALoginAndANewOneRestoresServiceWithoutARestart()
            async throws
        {
            try await OffThreadChecks.run(Self.aRevokedGrantNeedsALoginAndANewOneRestoresServiceWithoutARestart)
        }

        static func aRevokedGrantNeedsALoginAndANewOneRestoresServiceWithoutARestart(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture(["--token-lifetime", "2"])
            let (harness, token) = try Self.loggedIn(fixture)
            try harness.start()
            defer { harness.stop() }
            let serve = harness.servePID
            let listen = try HotReloadTests.listenStream(harness, token: token, path: harness.path())
            c.expect(
                Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":1,"b":1}"#)) == "2")

            try fixture.control("revoke-all")
            Thread.sleep(forTimeInterval: 2.5)
            let refused = Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":1,"b":1}"#))
            c.expect(refused.contains("needs an OAuth login"), "\(refused)")
            c.expect(refused.contains("run `sealgate oauth login api --workspace eng`"), "\(refused)")
            c.expect(try Self.heardListChanged(listen), "clients are told the server's tools went away")
            c.expect(try harness.ok(["mcp", "list", "--workspace", "eng"]).contains("needs login"))
            c.expect(try Self.status(harness)["state"] == "needs login")
            let metrics = try HTTP.request(port: harness.port, "GET", "/metrics").text
            c.expect(metrics.contains(#"sealgate_upstream_needs_login{workspace="eng",server="api"} 1"#), "\(metrics)")
            c.expect(try harness.ok(["audit", "show"]).contains("oauth.needs_login"))

            let again = try OAuthLogin.run(harness)
            c.expect(again.status == 0, "\(again.stderr)")
            let loggedIn = Date()
            var restored = false
            while !restored, Date().timeIntervalSince(loggedIn) < 1 {
                restored =
                    Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":2,"b":2}"#)) == "4"
                if !restored { Thread.sleep(forTimeInterval: 0.05) }
            }
            c.expect(restored, "the new login did not take effect within a second")
            c.expect(harness.servePID == serve)
            // The second login reused the client registered at the first: its refresh tokens belong to one client.
            c.expect(try fixture.stats()["registrations"] == 1)
            c.expect(try Self.heardListChanged(listen), "clients are told the server's tools are back")
            let metricsAfter = try HTTP.request(port: harness.port, "GET", "/metrics").text
            c.expect(metricsAfter.contains(#"sealgate_upstream_needs_login{workspace="eng",server="api"} 0"#))
        }

        @Test(.timeLimit(.minutes(3))) func logoutRevokesAtTheAuthorizationServerAndDestroysTheGrant() async throws {
            try await OffThreadChecks.run(Self.logoutRevokesAtTheAuthorizationServerAndDestroysTheGrant)
        }

        static func logoutRevokesAtTheAuthorizationServerAndDestroysTheGrant(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture()
            let (harness, token) = try Self.loggedIn(fixture)
            try harness.start()
            defer { harness.stop() }
            c.expect(
                Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":1,"b":2}"#)) == "3")
            let live = try fixture.tokens()
            c.expect(live.access.count == 1 && live.refresh.count == 1)

            let out = try harness.ok(["oauth", "logout", "api", "--workspace", "eng"])
            c.expect(out.contains("revoked its tokens"), "\(out)")
            c.expect(try fixture.stats()["revocations"] == 2)
            let after = try fixture.tokens()
            c.expect(after.access.isEmpty && after.refresh.isEmpty)
            c.expect(!(try harness.ok(["secrets", "list", "--workspace", "eng"]).contains("oauth.tokens")))
            let refused = Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":1,"b":2}"#))
            c.expect(refused.contains("run `sealgate oauth login api --workspace eng`"), "\(refused)")
            c.expect(try harness.ok(["audit", "show"]).contains("oauth.logout"))
        }

        /// The access and refresh tokens exist sealed in the vault and nowhere else: not in any file in clear, not in
        /// a log, not in the gateway's memory, not in `oauth status --json`, and an upstream that echoes its token has
        /// it masked.
        @Test(.timeLimit(.minutes(3))) func theTokensAreSealedAndNowhereElse() async throws {
            try await OffThreadChecks.run(Self.theTokensAreSealedAndNowhereElse)
        }

        static func theTokensAreSealedAndNowhereElse(_ c: OffThreadChecks) throws {
            let fixture = try OAuthFixture()
            let (harness, token) = try Self.loggedIn(fixture)
            try harness.start()
            let marker = "argument-marker-\(UInt64.random(in: 1...UInt64.max))"
            for id in 1...3 {
                let echoed = Self.answer(try Self.call(harness, token: token, tool: "echo_token", id: id))
                c.expect(echoed == "your token is [REDACTED:OAUTH_ACCESS_TOKEN]", "\(echoed)")
                _ = try Self.call(harness, token: token, tool: "add", arguments: #"{"a":1,"b":2,"note":"\#(marker)"}"#)
            }
            let live = try fixture.tokens()
            let needles = try [#require(live.access.first), #require(live.refresh.first)]
            let memory = try ProcessMemory.read(pid: try harness.gatewayPID())
            c.expect(memory.range(of: Data(marker.utf8)) != nil, "the scan should find the tool argument")
            for needle in needles {
                c.expect(memory.range(of: Data(needle.utf8)) == nil, "the gateway's memory holds a token")
            }
            let status = try harness.ok(["oauth", "status", "--workspace", "eng", "--json"])
            let audit = try harness.ok(["audit", "show"])
            harness.stop()
            let files = FileManager.default.enumerator(atPath: harness.home)?.compactMap { $0 as? String } ?? []
            c.expect(files.contains("vault.db"))
            for needle in needles {
                for file in files {
                    let contents = FileManager.default.contents(atPath: harness.home + "/" + file) ?? Data()
                    c.expect(contents.range(of: Data(needle.utf8)) == nil, "\(file) holds a token in clear")
                }
                c.expect(!harness.logs.contains(needle) && !status.contains(needle) && !audit.contains(needle))
            }
        }

        /// A client registered by hand (GitHub's remote server has no registration endpoint), its secret set like any
        /// secret: the login registers nothing, and the service-account grant works with it too.
        @Test(.timeLimit(.minutes(3))) func aPreRegisteredClientLogsInWhereThereIsNoRegistrationEndpoint() async throws
        {
            try await OffThreadChecks.run(Self.aPreRegisteredClientLogsInWhereThereIsNoRegistrationEndpoint)
        }

        static func aPreRegisteredClientLogsInWhereThereIsNoRegistrationEndpoint(_ c: OffThreadChecks) throws {
            let port = try Self.freePort()
            let fixture = try OAuthFixture([
                "--no-registration", "--client-id", "sealgate-ci", "--client-secret", "pre-registered-secret",
                "--client-auth-method", "client_secret_basic", "--redirect-uri", "http://127.0.0.1:\(port)/callback",
            ])
            let harness = try ServeHarness()
            let token = try harness.initialize()
            /// Adds `api` with the pre-registered client (and `issuer` pinned), installed, with its secret set.
            func add(issuer: String?) throws {
                _ = try harness.run(["server", "remove", "api"])
                try harness.ok(
                    ["server", "add", "api", "--url", fixture.mcpURL, "--oauth-client-id", "sealgate-ci"]
                        + (issuer.map { ["--oauth-issuer", $0] } ?? []))
                try harness.ok(["mcp", "install", "api", "--workspace", "eng"])
                try harness.ok(
                    ["secrets", "set", "api", "OAUTH_CLIENT_SECRET", "--workspace", "eng"],
                    stdin: "pre-registered-secret")
            }
            // The client's secret goes only to the authorization server it was registered at: not to whichever one
            // the server names when none is pinned, nor to another than the pinned one.
            try add(issuer: nil)
            let unpinned = try harness.run(["oauth", "login", "api", "--workspace", "eng", "--no-browser"])
            c.expect(unpinned.status == 64 && unpinned.stderr.contains("no --oauth-issuer"), "\(unpinned.stderr)")
            try add(issuer: "https://auth.example")
            let elsewhere = try harness.run([
                "oauth", "login", "api", "--workspace", "eng", "--grant", "client-credentials",
            ])
            c.expect(elsewhere.status == 4 && elsewhere.stderr.contains("was registered at https://auth.example"))
            c.expect(try fixture.stats()["token_requests"] == .object([:]), "no secret was sent")
            try add(issuer: fixture.issuer)
            let login = try OAuthLogin.run(harness, arguments: ["--port", "\(port)"])
            c.expect(login.status == 0, "\(login.stdout)\n\(login.stderr)")
            try harness.start()
            defer { harness.stop() }
            let whoami = Self.answer(try Self.call(harness, token: token, tool: "whoami"))
            c.expect(whoami.contains(#""client_id": "sealgate-ci""#), "\(whoami)")
            c.expect(try fixture.stats()["registrations"] == 0)

            let service = try harness.run([
                "oauth", "login", "api", "--workspace", "eng", "--grant", "client-credentials",
            ])
            c.expect(service.status == 0, "\(service.stderr)")
            c.expect(try Self.status(harness)["grantType"] == "client_credentials")
            var served = false
            for _ in 0..<40 where !served {
                served =
                    Self.answer(try Self.call(harness, token: token, tool: "add", arguments: #"{"a":5,"b":5}"#)) == "10"
                if !served { Thread.sleep(forTimeInterval: 0.05) }
            }
            c.expect(served)
            c.expect(try fixture.stats()["token_requests"]?["client_credentials"] == 1)
        }

        /// Reads events from a stream until `notifications/tools/list_changed` (true) or 10 s pass (false).
        static func heardListChanged(_ stream: HTTP.Connection) throws -> Bool {
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let event = try? stream.nextEventData(timeout: 1), event.contains("notifications/tools/list_changed")
                {
                    return true
                }
            }
            return false
        }

        /// A loopback port nothing listens on now (the kernel's choice for a socket bound to port 0).
        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { throw HarnessError("cannot bind a probe socket") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }

    /// Failures collected from several threads.
    final class Failures: @unchecked Sendable {
        // Guarded by `lock`.
        private var list: [String] = []
        private let lock = NSLock()
        func add(_ failure: String) { lock.withLock { list.append(failure) } }
        var all: [String] { lock.withLock { list } }
    }
}
