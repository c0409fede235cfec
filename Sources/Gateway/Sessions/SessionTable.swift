import BrokerProtocol
import Synchronization

/// The live 2025-era sessions by id.
final class SessionTable: Sendable {
    /// A session without a stream is forgotten after this long without requests.
    static let idleLimit: Duration = .seconds(30 * 60)

    private let sessions = Mutex<[String: LegacySession]>([:])

    /// Sessions one token may hold at once (`GatewayConfiguration.maximumSessionsPerToken`).
    let maximumPerToken: Int

    init(maximumPerToken: Int = GatewayConfiguration.defaultMaximumSessionsPerToken) {
        self.maximumPerToken = maximumPerToken
    }

    /// Adds a session, unless its token already holds `maximumPerToken` (then false, and nothing is added). Tokens
    /// are told apart by their hash: a revoked token's sessions do not count against a new token of its name.
    func add(_ session: LegacySession) -> Bool {
        sessions.withLock { all in
            let held = all.values.count { $0.isHeld(by: session.token) }
            guard held < maximumPerToken else { return false }
            all[session.id] = session
            return true
        }
    }

    func session(_ id: String) -> LegacySession? {
        sessions.withLock { $0[id] }
    }

    /// The session whose broker session is `brokerSession` (see `LegacySession.brokerSession`).
    func session(brokerSession: String) -> LegacySession? {
        guard brokerSession.hasPrefix(LegacySession.brokerSessionPrefix) else { return nil }
        return session(String(brokerSession.dropFirst(LegacySession.brokerSessionPrefix.count)))
    }

    /// Whether a session other than `id` subscribes to `resource`.
    func othersSubscribe(to resource: LegacySession.ResourceKey, except id: String) -> Bool {
        let others = sessions.withLock { $0.values.filter { $0.id != id } }
        return others.contains { $0.subscribedAddress(resource) != nil }
    }

    /// Removes a session; returns it if it was there.
    @discardableResult
    func remove(_ id: String) -> LegacySession? {
        sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// The broker sessions of every live client session (their channels' leases are kept renewed).
    var brokerSessions: Set<String> {
        sessions.withLock { Set($0.values.map(\.brokerSession)) }
    }

    /// Removes and returns the sessions idle past `idleLimit` with no stream open.
    func expire(now: ContinuousClock.Instant = .now) -> [LegacySession] {
        sessions.withLock { all in
            let idle = all.values.filter { ($0.idleFor(now: now) ?? .zero) > Self.idleLimit }
            for session in idle { all[session.id] = nil }
            return idle
        }
    }
}

extension AuthenticatedToken {
    /// Whether both are the same token (a token re-checked is a new value, its grants perhaps changed). A revoked
    /// token's name can go to a new token: the hash tells the two apart.
    func isSameToken(as other: AuthenticatedToken) -> Bool {
        kind == other.kind && name == other.name && workspace == other.workspace && hash == other.hash
    }
}
