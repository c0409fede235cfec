import BrokerProtocol
import MCPWire
import Synchronization

/// Everyone who hears about changes: 2025-era sessions (on their GET or SSE streams) and 2026-07-28
/// `subscriptions/listen` streams. On every snapshot the gateway recomputes what each one sees and tells those
/// whose view changed; a subscriber whose token no longer works is ended.
final class Subscribers: Sendable {
    /// One listener.
    struct Subscriber: Sendable {
        /// The transport it listens on, for `/metrics`.
        let era: SessionEra
        let target: Target
        /// The token it listens with. A revoked token's name can be given to a new token, so a name still listed
        /// proves nothing: the snapshot must list the token's hash.
        let token: AuthenticatedToken
        /// What the subscriber saw when last told (`Access.fingerprint`), nil before the first look.
        var fingerprint: String?
        /// Which lists it wants to hear about.
        let kinds: Set<ListKind>
        /// Sends the change notifications for `kinds` (already filtered).
        let notify: @Sendable (Set<ListKind>) -> Void
        /// Ends the subscriber: its token no longer reaches its workspace.
        let end: @Sendable () -> Void
    }

    private let subscribers = Mutex<[Int: Subscriber]>([:])
    private let counter = Atomic<Int>(0)

    /// Adds a subscriber; returns the id that `remove` takes.
    func add(_ subscriber: Subscriber) -> Int {
        let id = counter.wrappingAdd(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = subscriber }
        return id
    }

    /// Adds a subscriber, then judges it by the snapshot `current` gives once it is in (as `configurationChanged`
    /// would, ending it when its token no longer holds). Its caller was authorized against an earlier snapshot: one
    /// that arrived in between, revoking the token or giving its name to another, was never shown to it, and no later
    /// snapshot may come. Returns the id that `remove` takes.
    func add(_ subscriber: Subscriber, current: () -> ConfigSnapshot) -> Int {
        let id = add(subscriber)
        review(current(), only: id)
        return id
    }

    func remove(_ id: Int) {
        _ = subscribers.withLock { $0.removeValue(forKey: id) }
    }

    /// How many listen now, per era: every 2025-era session, and every 2026-07-28 `subscriptions/listen` stream.
    func countByEra() -> [SessionEra: Int] {
        subscribers.withLock { all in all.values.reduce(into: [:]) { $0[$1.era, default: 0] += 1 } }
    }

    /// A new snapshot: ends subscribers whose token lost its access, tells the others whose view changed.
    func configurationChanged(_ snapshot: ConfigSnapshot) {
        review(snapshot, only: nil)
    }

    /// Judges every subscriber (or only the one `only` names) by `snapshot`.
    private func review(_ snapshot: ConfigSnapshot, only: Int?) {
        var toEnd: [@Sendable () -> Void] = []
        var toNotify: [(@Sendable (Set<ListKind>) -> Void, Set<ListKind>)] = []
        subscribers.withLock { all in
            for (id, subscriber) in all where only == nil || only == id {
                let access = subscriber.target.slug(in: snapshot).flatMap {
                    Access(token: subscriber.token, workspace: $0, snapshot: snapshot)
                }
                let stillValid =
                    snapshot.lists(subscriber.token) && !Authenticator.hasExpired(subscriber.token)
                guard stillValid else {
                    all[id] = nil
                    toEnd.append(subscriber.end)
                    continue
                }
                // An /active follower whose token does not reach the new active workspace keeps its session (its
                // requests get 401 until the active workspace is one of its own again); a named workspace the token
                // lost is the end.
                if access == nil, case .workspace = subscriber.target {
                    all[id] = nil
                    toEnd.append(subscriber.end)
                    continue
                }
                let fingerprint = access?.fingerprint ?? "none"
                if fingerprint != subscriber.fingerprint {
                    all[id]?.fingerprint = fingerprint
                    toNotify.append((subscriber.notify, subscriber.kinds))
                }
            }
        }
        for end in toEnd { end() }
        for (notify, kinds) in toNotify { notify(kinds) }
    }

    /// Ends the subscribers whose token has expired. An expiry changes no snapshot, so `configurationChanged` alone
    /// would leave their streams open until the next change to the configuration.
    func endExpired() {
        let ended = subscribers.withLock { all -> [@Sendable () -> Void] in
            let expired = all.filter { Authenticator.hasExpired($0.value.token) }
            for id in expired.keys { all[id] = nil }
            return expired.values.map(\.end)
        }
        for end in ended { end() }
    }

    /// An upstream said its `kinds` lists changed: tells the subscribers that currently see that workspace.
    func listsChanged(_ kinds: Set<ListKind>, workspace: String, snapshot: ConfigSnapshot) {
        let targets = subscribers.withLock { all in
            all.values.filter { $0.target.slug(in: snapshot) == workspace }.map { ($0.notify, $0.kinds) }
        }
        for (notify, wanted) in targets {
            let relevant = kinds.intersection(wanted)
            if !relevant.isEmpty { notify(relevant) }
        }
    }
}
