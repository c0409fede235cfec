import BrokerProtocol
import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import Vault

@testable import Dashboard

/// A vault in a temporary home and a dashboard serving it on a free loopback port, driven over real HTTP.
final class DashboardFixture: @unchecked Sendable {  // set up once, then only read
    let home: VaultHome
    /// A handle as the CLI would have it (another process, in effect).
    let cli: SecretVault
    let port: Int
    let sessions: DashboardSessions
    let log: CapturedLog
    private let server: Task<Void, Never>

    init(sessions: DashboardSessions = DashboardSessions(), broker: any BrokerView = FakeBroker()) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)").path
        home = VaultHome(path: path)
        cli = try SecretVault.create(home: home, unlock: .keyFile, kdf: .moderate, actor: "cli:test")
        let home = home
        let vault = try DashboardVault { () throws(VaultError) -> SecretVault in
            try SecretVault.open(home: home, actor: "dashboard") { () throws(VaultError) -> SecretValue in
                throw VaultError(.refused, "no passphrase here")
            }
        }
        self.sessions = sessions
        let log = CapturedLog()
        self.log = log
        var logger = Logger(label: "dashboard-test") { _ in log }
        logger.logLevel = .trace
        let dashboard = DashboardServer(
            host: "127.0.0.1", port: 0, vault: vault, sessions: sessions, broker: broker, logger: logger,
            gateway: { "http://127.0.0.1:8787" })
        let (ports, listening) = AsyncStream<Int>.makeStream()
        server = Task {
            try? await dashboard.run { port in
                listening.yield(port)
                listening.finish()
            }
        }
        var bound = 0
        for await port in ports { bound = port }
        port = bound
    }

    deinit {
        server.cancel()
        try? FileManager.default.removeItem(atPath: home.path)
    }

    /// A fresh one-time link's secret, as `sealgate dashboard link` makes it.
    func link() throws -> String {
        try cli.createDashboardLink().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Signs in with a fresh link; the session's cookie and CSRF token.
    func signIn() async throws -> Browser {
        let response = try await request("GET", "/login?link=\(try link())")
        #expect(response.status == 303)
        let cookie = try #require(response.cookie)
        let page = try await request("GET", "/", cookie: cookie)
        let csrf = try #require(page.body.firstMatch(of: /name="_csrf" value="([^"]+)"/)?.1)
        return Browser(fixture: self, cookie: cookie, csrf: String(csrf))
    }

    /// One request on its own connection.
    func request(
        _ method: String, _ path: String, cookie: String? = nil, form: [(String, String)]? = nil,
        headers: [(String, String)] = [("Host", "127.0.0.1")]
    ) async throws -> RawHTTP.Response {
        var all = headers.map { ($0.0, $0.1.replacingOccurrences(of: "PORT", with: String(port))) }
        if let cookie { all.append(("Cookie", "\(SessionGuard.cookieName)=\(cookie)")) }
        var body: [UInt8] = []
        if let form {
            body = Array(RawHTTP.encode(form).utf8)
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
        }
        return try await RawHTTP.exchange(port: port, method: method, path: path, headers: all, body: body)
    }

    /// Raw SQL on the database file, as an attacker with write access to it would.
    func tamper(_ sql: String) throws {
        let queue = try DatabaseQueue(path: home.databasePath)
        try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
    }

    /// What the dashboard audited, with the actors.
    func audit() throws -> [AuditEntry] { try cli.auditEntries(workspace: nil) }
}

/// A signed-in browser: its cookie and the CSRF token of its session.
struct Browser {
    let fixture: DashboardFixture
    let cookie: String
    let csrf: String

    func get(_ path: String) async throws -> RawHTTP.Response { try await fixture.request("GET", path, cookie: cookie) }

    /// Posts a form with the session's CSRF token.
    func post(_ path: String, _ form: [(String, String)]) async throws -> RawHTTP.Response {
        try await fixture.request("POST", path, cookie: cookie, form: [("_csrf", csrf)] + form)
    }

    /// Posts a form, then shows the page it went back to: the outcome's message is on it.
    func submit(_ path: String, _ form: [(String, String)]) async throws -> RawHTTP.Response {
        let response = try await post(path, form)
        guard response.status == 303, let location = response.header("Location") else { return response }
        return try await get(String(location.prefix { $0 != "#" }))  // a browser keeps the fragment to itself
    }
}

extension RawHTTP.Response {
    /// The one-line outcome at the top of the page, as text.
    var flash: String? {
        body.firstMatch(of: /<p class="flash (?:done|failed)" role="(?:alert|status)">([^<]*)<\/p>/).map {
            String($0.1).replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
        }
    }
}

/// Everything logged, for tests that look for what must not be there.
final class CapturedLog: LogHandler, @unchecked Sendable {  // the lines are behind a lock
    private let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let extra = event.metadata ?? [:]
        lines.withLock { $0.append("\(event.message) \(extra) \(self.metadata)") }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

/// A broker stand-in: the live states and leases a test sets.
final class FakeBroker: BrokerView {
    let states = Mutex<[ServerLiveState]>([])
    let leases = Mutex<[LeaseInfo]>([])

    func serverStates() async -> [ServerLiveState] { states.withLock { $0 } }
    func activeLeases() async -> [LeaseInfo] { leases.withLock { $0 } }
    func revokeLease(_ id: String) async -> LeaseInfo? {
        leases.withLock { all in
            guard let lease = all.first(where: { $0.id == id }) else { return nil }
            all.removeAll { $0.id == id }
            return lease
        }
    }
}
