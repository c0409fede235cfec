import BrokerProtocol
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// Failed token checks are limited per peer, but guesses cannot lock out a token known to be good, and the limiter's
/// memory stays bounded whatever addresses the guesses come from.
@Suite struct FailureLimiterTests {
    static let good = "mwt_known_good_0123456789abcdef"

    /// The attacker shares the legitimate client's address (every local process is 127.0.0.1) and floods guesses
    /// while the good token is out of the cache (after a minute, or a broker reconnection). The good token is asked
    /// of the broker and served; guesses are still refused without asking.
    @Test(.timeLimit(.minutes(1))) func guessesFromTheSameAddressDoNotLockOutAKnownGoodToken() async throws {
        let broker = try await RefusingBroker.start(accepting: Self.good)
        defer { broker.close() }
        let authenticator = Authenticator(broker: broker.access)
        guard case .valid = await authenticator.check(Self.good, peer: "127.0.0.1") else {
            Issue.record("the good token was refused")
            return
        }
        authenticator.forgetAll()  // as when the broker connection drops, or a minute later

        var verdicts: [String] = []
        let started = ContinuousClock.now
        for index in 0..<40 {
            verdicts.append(Self.name(await authenticator.check("mwt_guess_\(index)", peer: "127.0.0.1")))
        }
        // The bucket refills 2 per second: on a loaded machine the 40 checks take long enough for a few to pass.
        let refills = Int((ContinuousClock.now - started) / .milliseconds(500)) + 1
        let passedAfterTwenty = verdicts.dropFirst(20).filter { $0 != "limited" }.count
        #expect(verdicts.prefix(20).allSatisfy { $0 == "invalid" }, "\(verdicts)")
        #expect(passedAfterTwenty <= refills, "\(verdicts), \(refills) refills")
        let askedBefore = broker.asked
        for _ in 0..<3 {
            #expect(Self.name(await authenticator.check(Self.good, peer: "127.0.0.1")) == "valid")
            authenticator.forgetAll()
        }
        #expect(broker.asked == askedBefore + 3)  // asked of the broker each time, past the limiter
        // Brute force is still limited: an unknown token, even a good one never seen, waits for the bucket (which
        // may have refilled by one or two meanwhile); a limited one is refused without asking the broker.
        var limited = false
        for index in 0..<20 where !limited {
            let asked = broker.asked
            if Self.name(await authenticator.check("mwt_guess_next_\(index)", peer: "127.0.0.1")) == "limited" {
                limited = true
                #expect(broker.asked == asked)
            }
        }
        #expect(limited)
        // Another address is not limited.
        #expect(Self.name(await authenticator.check("mwt_guess_next", peer: "127.0.0.2")) == "invalid")
    }

    /// A token the broker refuses (revoked) is no longer known: from a limited peer it is refused like any guess.
    @Test(.timeLimit(.minutes(1))) func aRevokedTokenIsForgottenAsKnown() async throws {
        let broker = try await RefusingBroker.start(accepting: Self.good)
        defer { broker.close() }
        let authenticator = Authenticator(broker: broker.access)
        _ = await authenticator.check(Self.good, peer: "127.0.0.1")
        #expect(authenticator.rememberedCounts.known == 1)
        broker.revoke()
        authenticator.forgetAll()
        #expect(Self.name(await authenticator.check(Self.good, peer: "127.0.0.1")) == "invalid")
        #expect(authenticator.rememberedCounts.known == 0)
    }

    /// A peer that rotates through 127.0.0.0/8 gets a fresh bucket per address, but all its guesses fill the
    /// global one: every failure is an audit entry in the vault.
    @Test func guessesFromRotatingAddressesFillTheGlobalBucket() {
        var limiter = FailureLimiter()
        let now = ContinuousClock.now
        for index in 0..<200 {
            #expect(!limiter.isLimited("127.8.0.\(index)", now: now))
            limiter.recordFailure("127.8.0.\(index)", now: now)  // one each: no peer is near its own limit
        }
        #expect(limiter.isLimited("127.8.1.1", now: now))
        #expect(limiter.isLimited("127.8.1.2", now: now + .milliseconds(40)))
        #expect(!limiter.isLimited("127.8.1.2", now: now + .milliseconds(60)))  // 20 per second
    }

    @Test func guessesFromEverNewAddressesShareOneBucketPastTheCapacity() {
        var limiter = FailureLimiter(burst: 20, perSecond: 2, capacity: 100, globalBurst: 1_000_000)
        let now = ContinuousClock.now
        for a in 0..<40 {
            for b in 0..<50 {
                limiter.recordFailure("127.9.\(a).\(b)", now: now)
            }
        }
        #expect(limiter.count == 100)
        // The overflow bucket took the other 1,900 failures: a new address is limited too, until it refills.
        #expect(limiter.isLimited("127.200.0.1", now: now))
        #expect(!limiter.isLimited("127.200.0.1", now: now + .seconds(10)))
        // Remembered addresses keep their own buckets.
        #expect(!limiter.isLimited("127.9.0.0", now: now))
    }

    @Test func anIPv6PeerIsCountedByItsSlash64() {
        var limiter = FailureLimiter(burst: 2, perSecond: 0.001)
        limiter.recordFailure("2001:db8:1:2::1")
        limiter.recordFailure("2001:db8:1:2:ffff::9")
        #expect(limiter.isLimited("2001:db8:1:2:aaaa::7"))
        #expect(!limiter.isLimited("2001:db8:1:3::1"))
        #expect(PeerKey.of("::ffff:127.0.0.1") == "127.0.0.1")
        #expect(PeerKey.of("::1") == "::1")
        #expect(PeerKey.of("10.1.2.3") == "10.1.2.3")
    }

    @Test func knownTokensAreBounded() {
        var known = KnownTokens(capacity: 3)
        let now = ContinuousClock.now
        for index in 0..<5 { known.insert("mwt_\(index)", now: now + .seconds(index)) }
        #expect(known.count == 3)
        #expect(!known.contains("mwt_0") && !known.contains("mwt_1") && known.contains("mwt_4"))
        known.remove("mwt_4")
        #expect(!known.contains("mwt_4"))
    }

    static func name(_ verdict: Authenticator.Verdict) -> String {
        switch verdict {
        case .valid: "valid"
        case .invalid: "invalid"
        case .limited: "limited"
        case .unavailable: "unavailable"
        }
    }
}

/// A broker socket whose one connection accepts one token (until revoked) and refuses every other, counting the
/// questions; and a `BrokerAccess` attached to it with a snapshot that lists that token.
private final class RefusingBroker: Sendable {
    let access: BrokerAccess
    private let link: BrokerLink
    private let path: String
    private let listener: Int32
    private let state: State

    private final class State: Sendable {
        let asked = Atomic<Int>(0)
        let revoked = Atomic<Bool>(false)
    }

    var asked: Int { state.asked.load(ordering: .relaxed) }

    func revoke() { state.revoked.store(true, ordering: .relaxed) }

    private init(access: BrokerAccess, link: BrokerLink, path: String, listener: Int32, state: State) {
        (self.access, self.link, self.path, self.listener, self.state) = (access, link, path, listener, state)
    }

    static func start(accepting good: String) async throws -> RefusingBroker {
        let path = try privateSocketPath("refusing")
        let listener = try listenOnUnixSocket(at: path)
        let state = State()
        Thread.detachNewThread { serve(listener, accepting: good, state: state) }
        let link = try await BrokerLink.connect(path: path) { _ in }
        let access = BrokerAccess()
        access.attach(link)
        let listed = ConfigSnapshot.Token(name: "default", hash: "h1", featureSets: [], expiresAt: nil)
        _ = access.store(
            ConfigSnapshot(
                generation: 1, activeWorkspace: "eng",
                workspaces: [.init(slug: "eng", name: "Eng", servers: [], featureSets: [], tokens: [listed])],
                clients: []))
        return RefusingBroker(access: access, link: link, path: path, listener: listener, state: state)
    }

    func close() {
        link.close()
        Glibc.close(listener)
        unlink(path)
    }

    private static func serve(_ listener: Int32, accepting good: String, state: State) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { Glibc.close(connection) }
        var decoder = FrameDecoder()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { return }  // the link closed
            decoder.append(chunk[0..<count])
            while let frame = try? decoder.nextFrame() {
                guard case .authenticate(let ref, let token) = try? BrokerMessage(frame) else { continue }
                state.asked.add(1, ordering: .relaxed)
                let answer =
                    token == good && !state.revoked.load(ordering: .relaxed)
                    ? BrokerMessage.authenticated(
                        ref: ref,
                        AuthenticatedToken(
                            kind: "workspace", name: "default", workspace: "eng", featureSets: [], grants: [:],
                            expiresAt: nil, hash: "h1"))
                    : BrokerMessage.failure(ref: ref, channel: nil, code: .refused, message: "refused")
                let bytes = FrameDecoder.encode(answer.json)
                guard bytes.withUnsafeBytes({ write(connection, $0.baseAddress, $0.count) }) == bytes.count else {
                    return
                }
            }
        }
    }
}
