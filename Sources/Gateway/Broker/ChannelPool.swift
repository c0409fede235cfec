import BrokerProtocol
import MCPWire

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
actor ChannelPool {
    private struct Entry {
        let channel: OpenChannel
        /// The lease's lifetime as granted.
        let leaseLifetime: Duration
        var renewedAt: ContinuousClock.Instant
        var lastUsed: ContinuousClock.Instant
    }

    private let broker: BrokerAccess
    private var entries: [ChannelKey: Entry] = [:]
    private var opening: [ChannelKey: Task<OpenChannel, any Error>] = [:]
    private var keys: [Int: ChannelKey] = [:]
    private var lists: [ChannelKey: [ListKind: [JSONValue]]] = [:]

    init(broker: BrokerAccess) {
        self.broker = broker
    }

    /// The open channel for `key`, opening it (and starting its upstream) if needed.
    func channel(_ key: ChannelKey) async throws(GatewayError) -> OpenChannel {
        let now = ContinuousClock.Instant.now
        if let entry = entries[key] {
            entries[key]?.lastUsed = now
            return entry.channel
        }
        let task: Task<OpenChannel, any Error>
        if let running = opening[key] {
            task = running
        } else {
            let broker = self.broker
            task = Task { try await Self.open(key, broker: broker) }
            opening[key] = task
        }
        let channel: OpenChannel
        do {
            channel = try await task.value
        } catch {
            opening[key] = nil
            throw error as? GatewayError ?? .brokerUnavailable
        }
        opening[key] = nil
        if entries[key] == nil {
            let lifetime = Duration.milliseconds(max(1000, channel.lease.expiresAt - WallClock.milliseconds()))
            entries[key] = Entry(channel: channel, leaseLifetime: lifetime, renewedAt: now, lastUsed: now)
            keys[channel.number] = key
        }
        return channel
    }

    private static func open(_ key: ChannelKey, broker: BrokerAccess) async throws -> OpenChannel {
        let link = try broker.link()
        let ref = "o\(link.nextNumber())"
        let answer = try await link.call(
            ref: ref, .open(ref: ref, workspace: key.workspace, server: key.server, session: key.session))
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
        keys[number]
    }

    /// The broker closed channel `number`; returns its key.
    @discardableResult
    func closed(_ number: Int) -> ChannelKey? {
        guard let key = keys.removeValue(forKey: number) else { return nil }
        if entries[key]?.channel.number == number {
            entries[key] = nil
            lists[key] = nil
        }
        return key
    }

    /// The broker connection ended: every channel with it.
    func reset() {
        (entries, keys, lists) = ([:], [:], [:])
    }

    /// Closes every channel of a broker session (a 2025-era client session that ended).
    func closeSession(_ session: String) {
        let link = try? broker.link()  // no broker: its channels are gone already
        for (key, entry) in entries where key.session == session {
            link?.send(.close(channel: entry.channel.number))
            entries[key] = nil
            lists[key] = nil
            keys[entry.channel.number] = nil
        }
    }

    /// Renews the leases that passed a third of their lifetime, of channels used since their last renewal or
    /// belonging to a live client session. Unused pool channels are left to expire; the next request reopens them.
    func renewDue(liveSessions: Set<String>) async {
        let now = ContinuousClock.Instant.now
        let due = entries.filter { key, entry in
            now - entry.renewedAt > entry.leaseLifetime / 3
                && (entry.lastUsed > entry.renewedAt || liveSessions.contains(key.session))
        }
        guard let link = try? broker.link() else { return }  // reconnecting: nothing to renew
        for (key, entry) in due {
            let ref = "r\(link.nextNumber())"
            let answer = try? await link.call(ref: ref, .renew(ref: ref, lease: entry.channel.lease.id))
            if case .renewed? = answer {
                entries[key]?.renewedAt = now
            } else if entries[key]?.channel.number == entry.channel.number {
                closed(entry.channel.number)  // the lease is gone; the next request opens a new channel
            }
        }
    }

    /// A channel's cached list, if any.
    func cachedList(_ kind: ListKind, for key: ChannelKey) -> [JSONValue]? {
        lists[key]?[kind]
    }

    /// Caches a list fetched on channel `number` (ignored if that channel has since closed).
    func store(_ items: [JSONValue], kind: ListKind, for key: ChannelKey, channel number: Int) {
        guard entries[key]?.channel.number == number else { return }
        lists[key, default: [:]][kind] = items
    }

    /// Drops cached lists of `kind` (all kinds when nil) for every channel to (workspace, server).
    func invalidate(_ kind: ListKind?, workspace: String, server: String) {
        for key in lists.keys where key.workspace == workspace && key.server == server {
            if let kind { lists[key]?[kind] = nil } else { lists[key] = nil }
        }
    }

    /// Drops every cached list: after a configuration change a server may be restarted with another definition,
    /// and its lists with it.
    func invalidateAll() {
        lists = [:]
    }

}
