import BrokerProtocol
import Synchronization

/// Checks bearer tokens. The gateway cannot hash a token (the key never leaves the vault), so it asks the broker
/// and caches the positive answers, which carry the token's listed hash: a cached answer holds while the snapshot
/// lists that hash under the token's name, until the token's expiry, and for at most `cacheLifetime`. Failures are
/// limited per peer (`FailureLimiter`), but a token cached or known to be good (`KnownTokens`) is never refused by
/// the limiter. A class with a lock rather than an actor: a cached answer is read on the request's own thread,
/// without a hop.
final class Authenticator: Sendable {
    /// The outcome of one check.
    enum Verdict: Sendable {
        /// A usable token, with the hash the broker computed. A caller grants it only what a snapshot listing that
        /// hash grants: the snapshot may be older than the token, or newer and list another token of its name.
        case valid(AuthenticatedToken)
        case invalid
        /// Too many recent failures from this peer; nothing was asked.
        case limited
        /// The broker is not connected: nobody can say (not counted as a failure).
        case unavailable
    }

    private struct Entry {
        let token: AuthenticatedToken
        let checkedAt: ContinuousClock.Instant
    }

    static let cacheLifetime: Duration = .seconds(60)

    private struct State {
        var cache: [String: Entry] = [:]
        var limiter = FailureLimiter()
        var known = KnownTokens()
    }

    private let broker: BrokerAccess
    /// How long a token check waits for the broker: a broker that is connected but stuck makes requests answer
    /// 503, not hang.
    private let answerTimeout: Duration
    private let state = Mutex(State())

    init(broker: BrokerAccess, answerTimeout: Duration = .seconds(5)) {
        self.broker = broker
        self.answerTimeout = answerTimeout
    }

    /// Whether `token` is a usable workspace or client token, according to the broker.
    func check(_ token: String, peer: String) async -> Verdict {
        let now = ContinuousClock.Instant.now
        let snapshot = broker.currentSnapshot()
        let cached = state.withLock { state -> Verdict? in
            if let entry = state.cache[token] {
                if now - entry.checkedAt < Self.cacheLifetime, !Self.hasExpired(entry.token),
                    snapshot.lists(entry.token)
                {
                    return .valid(entry.token)
                }
                state.cache[token] = nil
            }
            // A limited peer is refused only tokens not known to be good: guesses cannot lock out a good token.
            return state.limiter.isLimited(peer, now: now) && !state.known.contains(token) ? .limited : nil
        }
        if let cached { return cached }
        guard broker.isReady else { return .unavailable }
        let failed = { () -> Verdict in
            self.state.withLock { state in
                state.limiter.recordFailure(peer)
                state.known.remove(token)
            }
            return .invalid
        }
        guard token.hasPrefix("mwt_"), token.utf8.count < 128 else { return failed() }
        switch await broker.authenticate(token, timeout: answerTimeout) {
        case .refused:
            return failed()
        case .unanswered:
            return .unavailable  // nobody could say: not the peer's failure
        case .known(let answer):
            guard !Self.hasExpired(answer) else { return .invalid }
            state.withLock { state in
                state.cache[token] = Entry(token: answer, checkedAt: .now)
                state.known.insert(token)
            }
            return .valid(answer)
        }
    }

    /// Forgets every cached answer (after the broker connection was lost, nothing it said can be trusted).
    func forgetAll() {
        state.withLock { $0.cache = [:] }
    }

    /// Forgets the answers a check would no longer use (past `cacheLifetime`, or for a token that has expired). The
    /// cache is keyed by the token itself, so without this every token that ever worked would stay in the gateway's
    /// memory until checked again.
    func forgetStale(now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.cache = state.cache.filter {
                now - $0.value.checkedAt < Self.cacheLifetime && !Self.hasExpired($0.value.token)
            }
        }
    }

    /// How many answers are cached (for tests).
    var cachedCount: Int { state.withLock { $0.cache.count } }

    /// How many tokens are known to be good, and how many peers the limiter remembers (for tests).
    var rememberedCounts: (known: Int, peers: Int) { state.withLock { ($0.known.count, $0.limiter.count) } }

    static func hasExpired(_ token: AuthenticatedToken) -> Bool {
        guard let expiresAt = token.expiresAt else { return false }
        return expiresAt <= WallClock.milliseconds()
    }
}

extension ConfigSnapshot {
    /// Whether this snapshot lists this very token under its name: not revoked, expired or deleted, and its name
    /// not given to another token.
    func lists(_ token: AuthenticatedToken) -> Bool {
        let listed =
            if token.kind == "client" {
                clients.first { $0.token.name == token.name }?.token.hash
            } else {
                workspaces.first { $0.slug == token.workspace }?.tokens.first { $0.name == token.name }?.hash
            }
        return listed == token.hash
    }
}
