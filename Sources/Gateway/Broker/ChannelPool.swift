import BrokerProtocol
import MCPWire
import Synchronization

/// Which upstream a channel reaches: a server in a workspace, for one broker session (`pool` for the stateless
/// traffic of 2026-07-28 clients, or one 2025-era client session).
struct ChannelKey: Hashable, Sendable {
    let workspace: String
    let server: String
    let session: String

    /// The broker session shared by every stateless request of a workspace.
    static let pool = "pool"
}

/// An open broker channel.
struct OpenChannel: Sendable {
    let number: Int
    let lease: LeaseInfo
    let upstream: UpstreamInfo
}

/// The broker channels the gateway holds: opened on first use, shared by every request for the same key, renewed
/// while in use, forgotten when the broker closes them. Also caches each channel's lists (tools, prompts,
/// resources, templates) until the upstream says they changed.
///
/// A class with a lock rather than an actor: finding an open channel or a cached list is on every request's path,
/// and must not cost a hop to another thread. Nothing is awaited while the lock is held.
final class ChannelPool: Sendable {
    private struct Entry {
        let channel: OpenChannel
        /// The lease's lifetime as granted.
        let leaseLifetime: Duration
        var renewedAt: ContinuousClock.Instant
        var lastUsed: ContinuousClock.Instant
    }

    private struct State {
        var entries: [ChannelKey: Entry] = [:]
        var opening: [ChannelKey: Task<OpenChannel, any Error>] = [:]
        var keys: [Int: ChannelKey] = [:]
        var lists: [ChannelKey: [ListKind: [JSONValue]]] = [:]
    }

    private let broker: BrokerAccess
    private let state = Mutex(State())
    /// What the client of a broker session lets its upstreams ask (see `ClientRequests.capabilities`).
    private let clientCapabilities: @Sendable (_ session: String) -> JSONValue?

    init(broker: BrokerAccess, clientCapabilities: @escaping @Sendable (_ session: String) -> JSONValue? = { _ in nil })
    {
        self.broker = broker
        self.clientCapabilities = clientCapabilities
    }

    /// The open channel for `key`, opening it (and starting its upstream) if needed.
    ///
    /// A channel left unused past two thirds of its lease was not renewed (`renewDue` renews only channels in use),
    /// and its lease may end under the request about to use it: it is renewed first, and reopened if that fails.
    func channel(_ key: ChannelKey) async throws(GatewayError) -> OpenChannel {
        let now = ContinuousClock.Instant.now
        let broker = self.broker
        let found = state.withLock { state -> Entry? in
            state.entries[key]?.lastUsed = now
            return state.entries[key]
        }
        if let found {
            if now - found.renewedAt < found.leaseLifetime * 2 / 3 { return found.channel }
            if await renew(key, found, at: now) { return found.channel }
        }
        let task = state.withLock { state in
            if let running = state.opening[key] { return running }
            let capabilities = clientCapabilities(key.session)
            let task = Task { [self] in try await open(key, broker: broker, clientCapabilities: capabilities) }
            state.opening[key] = task
            return task
        }
        let channel: OpenChannel
        do {
            channel = try await task.value
        } catch {
            state.withLock { _ = $0.opening.removeValue(forKey: key) }
            throw error as? GatewayError ?? .brokerUnavailable
        }
        return state.withLock { state in
            state.opening[key] = nil
            if let entry = state.entries[key] { return entry.channel }
            let lifetime = Duration.milliseconds(max(1000, channel.lease.expiresAt - WallClock.milliseconds()))
            state.entries[key] = Entry(channel: channel, leaseLifetime: lifetime, renewedAt: now, lastUsed: now)
            state.keys[channel.number] = key
            return channel
        }
    }

    private func open(
        _ key: ChannelKey, broker: BrokerAccess, clientCapabilities: JSONValue?
    ) async throws -> OpenChannel {
        let link = try broker.link()
        let ref = "o\(link.nextNumber())"
        let answer = try await link.call(
            ref: ref,
            .open(
                ref: ref, workspace: key.workspace, server: key.server, session: key.session,
                clientCapabilities: clientCapabilities)
        ) { [self] answer in
            // The channel's key is known before its first notification or request is handled (the broker sends
            // `opened` first, and an upstream may ask its client as soon as its handshake is done).
            if case .opened(_, let number, _, _) = answer { state.withLock { $0.keys[number] = key } }
        }
        switch answer {
        case .opened(_, let number, let lease, let upstream):
            return OpenChannel(number: number, lease: lease, upstream: upstream)
        case .failure(_, _, let code, let message):
            throw GatewayError.broker(code: code.rawValue, message: message)
        default:
            throw GatewayError.broker(code: "internal", message: "the broker answered open with something else")
        }
    }

    /// The key of channel `number`, if the gateway holds it.
    func key(of number: Int) -> ChannelKey? {
        state.withLock { $0.keys[number] }
    }

    /// The broker closed channel `number`; returns its key.
    @discardableResult
    func closed(_ number: Int) -> ChannelKey? {
        state.withLock { state in Self.forget(number, in: &state) }
    }

    private static func forget(_ number: Int, in state: inout State) -> ChannelKey? {
        guard let key = state.keys.removeValue(forKey: number) else { return nil }
        if state.entries[key]?.channel.number == number {
            state.entries[key] = nil
            state.lists[key] = nil
        }
        return key
    }

    /// The broker connection ended: every channel with it.
    func reset() {
        state.withLock { $0 = State() }
    }

    /// The open channels of broker session `session`, with their keys.
    func channels(inSession session: String) -> [(key: ChannelKey, channel: OpenChannel)] {
        state.withLock { state in
            state.entries.filter { $0.key.session == session }.map { (key: $0.key, channel: $0.value.channel) }
        }
    }

    /// Closes every channel of a broker session (a 2025-era client session that ended).
    func closeSession(_ session: String) {
        let closing = state.withLock { state in
            let ended = state.entries.filter { $0.key.session == session }
            for (key, entry) in ended {
                state.entries[key] = nil
                state.lists[key] = nil
                state.keys[entry.channel.number] = nil
            }
            return ended.values.map(\.channel.number)
        }
        guard let link = try? broker.link() else { return }  // no broker: its channels are gone already
        for number in closing { link.send(.close(channel: number)) }
    }

    /// Renews the leases that passed a third of their lifetime, of channels used since their last renewal or
    /// belonging to a live client session. Unused pool channels are left to expire; the next request reopens them.
    func renewDue(liveSessions: Set<String>) async {
        let now = ContinuousClock.Instant.now
        let due = state.withLock { state in
            state.entries.filter { key, entry in
                now - entry.renewedAt > entry.leaseLifetime / 3
                    && (entry.lastUsed > entry.renewedAt || liveSessions.contains(key.session))
            }
        }
        for (key, entry) in due { await renew(key, entry, at: now) }
    }

    /// Renews `entry`'s lease; when that fails the channel is forgotten, so that the next request reopens it.
    @discardableResult
    private func renew(_ key: ChannelKey, _ entry: Entry, at now: ContinuousClock.Instant) async -> Bool {
        guard let link = try? broker.link() else { return false }  // reconnecting: the channel goes with the link
        let ref = "r\(link.nextNumber())"
        let answer = try? await link.call(ref: ref, .renew(ref: ref, lease: entry.channel.lease.id))
        return state.withLock { state in
            if case .renewed? = answer {
                if state.entries[key]?.channel.number == entry.channel.number { state.entries[key]?.renewedAt = now }
                return true
            }
            if state.entries[key]?.channel.number == entry.channel.number {
                _ = Self.forget(entry.channel.number, in: &state)
            }
            return false
        }
    }

    /// A channel's cached list, if any.
    func cachedList(_ kind: ListKind, for key: ChannelKey) -> [JSONValue]? {
        state.withLock { $0.lists[key]?[kind] }
    }

    /// Caches a list fetched on channel `number` (ignored if that channel has since closed).
    func store(_ items: [JSONValue], kind: ListKind, for key: ChannelKey, channel number: Int) {
        state.withLock { state in
            guard state.entries[key]?.channel.number == number else { return }
            state.lists[key, default: [:]][kind] = items
        }
    }

    /// Drops cached lists of `kind` (all kinds when nil) for every channel to (workspace, server).
    func invalidate(_ kind: ListKind?, workspace: String, server: String) {
        state.withLock { state in
            for key in state.lists.keys where key.workspace == workspace && key.server == server {
                if let kind { state.lists[key]?[kind] = nil } else { state.lists[key] = nil }
            }
        }
    }

    /// Drops every cached list: after a configuration change a server may be restarted with another definition,
    /// and its lists with it.
    func invalidateAll() {
        state.withLock { $0.lists = [:] }
    }
}
