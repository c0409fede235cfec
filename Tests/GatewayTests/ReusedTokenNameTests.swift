import BrokerProtocol
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import Gateway

/// A revoked token's name can be given to a new token (issue 17). A stream opened with the old token must still end
/// when it is revoked, even when the snapshot that revokes it already lists the new token under the same name.
@Suite struct ReusedTokenNameTests {
    /// The workspace token `ci` of `eng` whose listed hash is `hash`.
    static func ci(hash: String) -> AuthenticatedToken {
        AuthenticatedToken(
            kind: "workspace", name: "ci", workspace: "eng", featureSets: [], grants: [:], expiresAt: nil, hash: hash)
    }
    static let old = ci(hash: "h1")

    static func snapshot(generation: Int64, ciHash: String) -> ConfigSnapshot {
        let tokens = [ConfigSnapshot.Token(name: "ci", hash: ciHash, featureSets: [], expiresAt: nil)]
        return ConfigSnapshot(
            generation: generation, activeWorkspace: "eng",
            workspaces: [.init(slug: "eng", name: "Eng", servers: [], featureSets: [], tokens: tokens)],
            clients: [])
    }

    @Test func aStreamOfTheRevokedTokenEndsWhenItsNameNowBelongsToANewToken() {
        let subscribers = Subscribers()
        let ended = Mutex(false)
        _ = subscribers.add(
            Subscribers.Subscriber(
                era: .modern, target: .workspace("eng"), token: Self.old, fingerprint: nil,
                kinds: [.tools], notify: { _ in }, end: { ended.withLock { $0 = true } }))

        subscribers.configurationChanged(Self.snapshot(generation: 2, ciHash: "h1"))
        #expect(!ended.withLock { $0 })  // the same token: the stream stays
        subscribers.configurationChanged(Self.snapshot(generation: 3, ciHash: "h2"))
        #expect(ended.withLock { $0 })  // `ci` is another token now: the old one's stream ends
        #expect(subscribers.countByEra().isEmpty)
    }

    /// A gateway front with no broker connected and `snapshot` as its configuration.
    static func front(_ snapshot: ConfigSnapshot, maximumSessionsPerToken: Int = 4) -> Front {
        let broker = BrokerAccess()
        _ = broker.store(snapshot)
        let pool = ChannelPool(broker: broker)
        let metrics = GatewayMetrics()
        return Front(
            broker: broker, authenticator: Authenticator(broker: broker),
            dispatcher: Dispatcher(
                catalog: Catalog(caller: UpstreamCaller(broker: broker, pool: pool, progress: ProgressRelay())),
                usage: UsageRecorder(), metrics: metrics),
            subscribers: Subscribers(), sessions: SessionTable(maximumPerToken: maximumSessionsPerToken), pool: pool,
            metrics: metrics, metricsToken: nil, hostCheck: HostCheck(listenHost: "127.0.0.1"),
            logger: Logger(label: "test"))
    }

    /// The caller `ci` as authorized while the snapshot listed it with `hash`.
    static func caller(hash: String, snapshot: ConfigSnapshot) throws -> Front.Caller {
        let token = ci(hash: hash)
        let access = try #require(Access(token: token, workspace: "eng", snapshot: snapshot))
        return Front.Caller(token: token, target: .workspace("eng"), access: access)
    }

    /// The new `ci` presents the revoked `ci`'s session id: another token's session is unknown to it, whatever
    /// their names.
    @Test func aNewTokenOfTheNameCannotUseTheRevokedTokensSession() throws {
        let before = Self.snapshot(generation: 2, ciHash: "h1")
        let front = Self.front(before)
        guard
            case .started(let session) = front.startSession(
                caller: try Self.caller(hash: "h1", snapshot: before), era: .streamable)
        else {
            Issue.record("the session did not start")
            return
        }
        let after = Self.snapshot(generation: 3, ciHash: "h2")
        #expect(front.session(session.id, caller: try Self.caller(hash: "h2", snapshot: after)) == nil)
        #expect(front.session(session.id, caller: try Self.caller(hash: "h1", snapshot: before)) === session)
    }

    /// A revoked token's sessions (still open, say, until the snapshot that ends them is read) do not count against
    /// the new token of its name.
    @Test func theRevokedTokensSessionsDoNotCountAgainstTheNewToken() throws {
        let before = Self.snapshot(generation: 2, ciHash: "h1")
        let front = Self.front(before, maximumSessionsPerToken: 1)
        let revoked = try Self.caller(hash: "h1", snapshot: before)
        guard case .started = front.startSession(caller: revoked, era: .streamable) else {
            Issue.record("the session did not start")
            return
        }
        guard case .tooMany = front.startSession(caller: revoked, era: .streamable) else {
            Issue.record("the limit of one session did not hold")
            return
        }
        _ = front.broker.store(Self.snapshot(generation: 3, ciHash: "h2"))  // not yet shown to the subscribers
        let renewed = try Self.caller(hash: "h2", snapshot: front.broker.currentSnapshot())
        guard case .started = front.startSession(caller: renewed, era: .streamable) else {
            Issue.record("the new token was refused for the revoked token's session")
            return
        }
    }

    /// The token was authorized, then a snapshot revoking it (its name given to a new token) arrived before its
    /// session was subscribed to changes: the session must not start, since no later snapshot may come to end it.
    @Test func aSessionStartedAfterItsTokenWasRevokedEndsAtOnce() throws {
        let before = Self.snapshot(generation: 2, ciHash: "h1")
        let front = Self.front(before)
        let caller = try Self.caller(hash: "h1", snapshot: before)
        _ = front.broker.store(Self.snapshot(generation: 3, ciHash: "h2"))  // the subscribers were none
        guard case .tokenGone = front.startSession(caller: caller, era: .streamable) else {
            Issue.record("a session was started for a token the current snapshot no longer lists")
            return
        }
        #expect(front.subscribers.countByEra().isEmpty)
        #expect(front.sessions.brokerSessions.isEmpty)
    }

    /// `ci` was revoked and its name given to a new token; the broker knows, but the gateway's snapshot still lists
    /// the old `ci`. The new token must not pass for the old one: neither reach its session nor get its grants. (The
    /// old token itself, answered with its own hash, reaches its session: the request is one that would pass.)
    @Test(.timeLimit(.minutes(1)), arguments: [("h1", 200), ("h2", 401)])
    func aNewTokenIsNotTakenForTheRevokedTokenWhileTheSnapshotLags(answeredHash: String, status: Int) async throws {
        let stale = Self.snapshot(generation: 2, ciHash: "h1")
        let front = Self.front(stale)
        guard
            case .started(let session) = front.startSession(
                caller: try Self.caller(hash: "h1", snapshot: stale), era: .streamable)
        else {
            Issue.record("the session did not start")
            return
        }
        let broker = try await AnsweringBroker.start(name: "ci", hash: answeredHash)
        defer { broker.close() }
        front.broker.attach(broker.link)

        let headers = HTTPHeaders([
            ("Host", "127.0.0.1:8787"), ("Authorization", "Bearer mwt_presentedtoken0123456789"),
            ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2025-11-25"), ("Mcp-Session-Id", session.id),
        ])
        let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        let answer = await front.respond(
            HTTPRequest(
                head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/ws/eng/mcp", headers: headers),
                body: ByteBuffer(string: ping), peer: "127.0.0.1"))
        #expect(broker.asked == 1)
        #expect(answer.statusCode == status)
        #expect(!session.hasEnded)  // the old token's session is the next snapshot's to end
    }

    /// End to end: the revoked `ci`'s session id, presented by the new `ci`, is an unknown session, and the revoked
    /// token's GET stream has ended.
    @Test func theNewTokenOfARevokedNameIsRefusedItsSessionEndToEnd() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        let create = ["workspace", "token", "create", "eng", "--name", "ci"]
        let first = String(try #require(try harness.ok(create).firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0)
        try harness.start()
        let (session, stream) = try HotReloadTests.legacySession(harness, token: first, path: harness.path())
        try harness.ok(["workspace", "token", "revoke", "eng", "ci"])
        let second = String(try #require(try harness.ok(create).firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0)
        #expect(second != first)
        try eventually(within: 5) {  // the new token reaches the gateway with the next snapshot
            try HTTP.modern(port: harness.port, harness.path(), token: second, method: "tools/list").status == 200
        }

        let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
        let reused = try HTTP.post(
            port: harness.port, harness.path(), token: second, ping,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
        #expect(reused.status == 404, "\(reused.status) \(reused.text)")
        let listen = try HTTP.Connection(port: harness.port)
        try listen.send(
            "GET", harness.path(),
            headers: [
                ("Authorization", "Bearer \(second)"), ("Accept", "text/event-stream"), ("Mcp-Session-Id", session),
            ],
            body: [])
        #expect(try listen.readHead(timeout: 5).0 == 404)
        // The revoked token's stream has ended (a stream still open throws once it stays silent for 5 s).
        while try stream.nextEvent(timeout: 5) != nil {}
    }
}
