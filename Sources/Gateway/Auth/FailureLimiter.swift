/// Limits failed token checks per peer: a token bucket of `burst` failures that refills at `perSecond`. A peer
/// whose bucket is empty gets 429 for tokens the gateway does not know to be good, without asking the broker, so
/// a flood of bad tokens costs little, and never for tokens it does (`KnownTokens`, and the cache).
///
/// Peers are `PeerKey`s: an IPv4 address, or an IPv6 /64. At most `capacity` are remembered; while that many have
/// failed recently, every other peer shares one overflow bucket, so a flood from ever new addresses (all of
/// 127.0.0.0/8 is loopback) fills that bucket rather than the gateway's memory. Failures of all peers together
/// also fill one global bucket (`globalBurst`, refilling at `globalPerSecond`): every failure is a vault write
/// (an audit entry), and without it a peer that rotates addresses would get a fresh bucket with each.
struct FailureLimiter {
    private struct Bucket {
        var level: Double
        var updated: ContinuousClock.Instant
    }

    let burst: Double
    let perSecond: Double
    let globalBurst: Double
    let globalPerSecond: Double
    /// Peers remembered at most.
    let capacity: Int
    private var buckets: [String: Bucket] = [:]
    private var overflow: Bucket?
    private var global: Bucket?
    /// When full buckets were last dropped: at most once a second, so a flood does not make every failure a scan.
    private var pruned: ContinuousClock.Instant?

    init(
        burst: Int = 20, perSecond: Double = 2, capacity: Int = 10_000, globalBurst: Int = 200,
        globalPerSecond: Double = 20
    ) {
        (self.burst, self.perSecond, self.capacity) = (Double(burst), perSecond, capacity)
        (self.globalBurst, self.globalPerSecond) = (Double(globalBurst), globalPerSecond)
    }

    /// Whether `peer` (or every peer together) has used up its failures for now.
    func isLimited(_ peer: String, now: ContinuousClock.Instant = .now) -> Bool {
        if let global, refilled(global, now: now, burst: globalBurst, perSecond: globalPerSecond) < 1 { return true }
        guard let bucket = buckets[PeerKey.of(peer)] ?? (buckets.count >= capacity ? overflow : nil) else {
            return false
        }
        return refilled(bucket, now: now) < 1
    }

    /// Counts one failed attempt by `peer`.
    mutating func recordFailure(_ peer: String, now: ContinuousClock.Instant = .now) {
        let globalLevel = global.map { refilled($0, now: now, burst: globalBurst, perSecond: globalPerSecond) }
        global = Bucket(level: max(0, (globalLevel ?? globalBurst) - 1), updated: now)
        let key = PeerKey.of(peer)
        if buckets[key] == nil && buckets.count >= capacity {
            prune(now: now)
            guard buckets.count < capacity else {
                overflow = drained(overflow, now: now)
                return
            }
        }
        buckets[key] = drained(buckets[key], now: now)
    }

    /// How many peers are remembered (for tests).
    var count: Int { buckets.count }

    private func drained(_ bucket: Bucket?, now: ContinuousClock.Instant) -> Bucket {
        let level = bucket.map { refilled($0, now: now) } ?? burst
        return Bucket(level: max(0, level - 1), updated: now)
    }

    /// Forgets the peers whose buckets are full again: they would start full anyway.
    private mutating func prune(now: ContinuousClock.Instant) {
        if let pruned, now - pruned < .seconds(1) { return }
        pruned = now
        buckets = buckets.filter { refilled($0.value, now: now) < burst }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        refilled(bucket, now: now, burst: burst, perSecond: perSecond)
    }

    private func refilled(
        _ bucket: Bucket, now: ContinuousClock.Instant, burst: Double, perSecond: Double
    ) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return min(burst, bucket.level + seconds * perSecond)
    }
}
