import BrokerProtocol
import Glibc

/// The leases in force: pure bookkeeping, tested without I/O. Times are milliseconds since the epoch.
struct LeaseTable {
    struct Lease {
        var info: LeaseInfo
        let channel: Int
    }

    private(set) var leases: [String: Lease] = [:]

    /// A new lease for a channel, with an unguessable id.
    mutating func grant(channel: Int, workspace: String, server: String, session: String, now: Int64, ttl: Duration)
        -> LeaseInfo
    {
        let id = "lease_" + (0..<12).map { _ in String(UInt8.random(in: 0...255), radix: 16).leftPadded(2) }.joined()
        let info = LeaseInfo(
            id: id, workspace: workspace, server: server, session: session, expiresAt: now + ttl.milliseconds)
        leases[id] = Lease(info: info, channel: channel)
        return info
    }

    /// Extends a live lease; nil when it is unknown or already expired (a renewal failure).
    mutating func renew(_ id: String, now: Int64, ttl: Duration) -> LeaseInfo? {
        guard var lease = leases[id], lease.info.expiresAt > now else { return nil }
        lease.info = LeaseInfo(
            id: id, workspace: lease.info.workspace, server: lease.info.server, session: lease.info.session,
            expiresAt: now + ttl.milliseconds)
        leases[id] = lease
        return lease.info
    }

    mutating func remove(_ id: String) -> Lease? {
        leases.removeValue(forKey: id)
    }

    mutating func remove(channel: Int) -> Lease? {
        guard let id = leases.first(where: { $0.value.channel == channel })?.key else { return nil }
        return leases.removeValue(forKey: id)
    }

    /// Removes and returns every lease whose time is up.
    mutating func expire(now: Int64) -> [Lease] {
        let expired = leases.values.filter { $0.info.expiresAt <= now }
        for lease in expired { leases[lease.info.id] = nil }
        return expired
    }

    var all: [LeaseInfo] { leases.values.map(\.info).sorted { $0.expiresAt < $1.expiresAt } }

    /// Wall-clock milliseconds since the epoch.
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
