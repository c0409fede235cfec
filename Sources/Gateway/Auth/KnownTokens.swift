/// Tokens the broker has accepted, remembered as keyed 64-bit digests rather than as tokens, for much longer than
/// the cache holds a token: a token known to be good skips the failure limiter (never the broker's check), so bad
/// guesses sent from its client's address cannot lock it out.
///
/// The digest is SipHash (Swift's `Hasher`) under a random key of this process, so it tells nothing about the
/// token. A guess whose digest collides with a good token's (odds of 1 in 2^64 per guess) is only asked of the
/// broker instead of refused. A token the broker refuses is forgotten. At most `capacity` are kept, the least
/// recently accepted dropped first; only accepted tokens are added, so guesses cannot fill it.
struct KnownTokens {
    let capacity: Int
    private let key = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max))
    private var accepted: [Int: ContinuousClock.Instant] = [:]

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func contains(_ token: String) -> Bool {
        accepted[digest(token)] != nil
    }

    /// The broker accepted `token`.
    mutating func insert(_ token: String, now: ContinuousClock.Instant = .now) {
        let digest = digest(token)
        if accepted[digest] == nil, accepted.count >= capacity,
            let oldest = accepted.min(by: { $0.value < $1.value })?.key
        {
            accepted[oldest] = nil
        }
        accepted[digest] = now
    }

    /// The broker refused `token`.
    mutating func remove(_ token: String) {
        accepted[digest(token)] = nil
    }

    var count: Int { accepted.count }

    private func digest(_ token: String) -> Int {
        var hasher = Hasher()
        hasher.combine(key.0)
        hasher.combine(key.1)
        hasher.combine(token)
        return hasher.finalize()
    }
}
