import Synchronization

/// The dashboard's signed-in browsers, in this process's memory only: a restart signs everyone out, and a session
/// never outlives `absoluteLimit` or an idle `idleLimit`. A session is made only by redeeming a one-time link.
final class DashboardSessions: Sendable {
    struct Session: Sendable {
        /// The cookie's value.
        let id: String
        /// What every state-changing request of this session must carry (the synchronizer-token pattern).
        let csrf: String
        let createdAt: ContinuousClock.Instant
        var lastSeen: ContinuousClock.Instant
        /// A message for the next page shown (after a change and its redirect).
        var flash: Flash?
    }

    /// A one-line outcome shown once at the top of the next page.
    struct Flash: Sendable, Equatable {
        enum Kind: String, Sendable { case done, failed }
        let kind: Kind
        let text: String
    }

    let idleLimit: Duration
    let absoluteLimit: Duration
    /// Beyond this many sessions the least recently seen goes.
    let maximum: Int
    /// The time (a test's own clock, to pass an idle limit without waiting for it).
    let clock: @Sendable () -> ContinuousClock.Instant
    private let sessions = Mutex<[String: Session]>([:])

    init(
        idleLimit: Duration = .seconds(30 * 60), absoluteLimit: Duration = .seconds(12 * 3600), maximum: Int = 32,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        (self.idleLimit, self.absoluteLimit, self.maximum, self.clock) = (idleLimit, absoluteLimit, maximum, clock)
    }

    /// A new session (after a link was redeemed).
    func open(now: ContinuousClock.Instant? = nil) -> Session {
        let now = now ?? clock()
        let session = Session(id: RandomToken.make(), csrf: RandomToken.make(), createdAt: now, lastSeen: now)
        sessions.withLock { all in
            all[session.id] = session
            while all.count > maximum, let oldest = all.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                all[oldest.id] = nil
            }
        }
        return session
    }

    /// The live session the cookie names, marked as seen now; nil (and forgotten) when it is idle or too old.
    /// `touch: false` for what a page's script asks on its own (the live-update poll): an open tab nobody looks
    /// at must not keep its session alive.
    func session(_ id: String, now: ContinuousClock.Instant? = nil, touch: Bool = true) -> Session? {
        let now = now ?? clock()
        return sessions.withLock { all in
            guard var session = all[id] else { return nil }
            guard now - session.lastSeen < idleLimit, now - session.createdAt < absoluteLimit else {
                all[id] = nil
                return nil
            }
            guard touch else { return session }
            session.lastSeen = now
            all[id] = session
            return session
        }
    }

    func close(_ id: String) {
        sessions.withLock { $0[id] = nil }
    }

    func setFlash(_ flash: Flash, for id: String) {
        sessions.withLock { $0[id]?.flash = flash }
    }

    /// The flash waiting for this session, taken (shown once).
    func takeFlash(for id: String) -> Flash? {
        sessions.withLock { all in
            defer { all[id]?.flash = nil }
            return all[id]?.flash
        }
    }

    var count: Int { sessions.withLock { $0.count } }
}
