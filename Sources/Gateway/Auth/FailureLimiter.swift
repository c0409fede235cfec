/// Limits failed token checks per peer: a token bucket of `burst` failures that refills at `perSecond`. A peer
/// whose bucket is empty gets 429 for tokens the gateway does not already know, without asking the broker, so a
/// flood of bad tokens costs little and never slows clients whose tokens are cached.
struct FailureLimiter {
    private struct Bucket {
        var level: Double
        var updated: ContinuousClock.Instant
    }

    let burst: Double
    let perSecond: Double
    /// Peers remembered at most; the oldest are forgotten beyond this (a forgotten peer starts full).
    let capacity = 10_000
    private var buckets: [String: Bucket] = [:]

    init(burst: Int = 20, perSecond: Double = 2) {
        self.burst = Double(burst)
        self.perSecond = perSecond
    }

    /// Whether `peer` has used up its failures for now.
    func isLimited(_ peer: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard let bucket = buckets[peer] else { return false }
        return refilled(bucket, now: now) < 1
    }

    /// Counts one failed attempt by `peer`.
    mutating func recordFailure(_ peer: String, now: ContinuousClock.Instant = .now) {
        let level = buckets[peer].map { refilled($0, now: now) } ?? burst
        buckets[peer] = Bucket(level: max(0, level - 1), updated: now)
        if buckets.count > capacity {
            // Drop the peers that have been quiet longest: they would be full again by now anyway.
            let cutoff = now - .seconds(burst / perSecond)
            buckets = buckets.filter { $0.value.updated > cutoff }
        }
    }

    private func refilled(_ bucket: Bucket, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return min(burst, bucket.level + seconds * perSecond)
    }
}
