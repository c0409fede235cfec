import BrokerProtocol
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// The gateway's cache of positive token answers is keyed by the token, so how long an entry lives is how long the
/// token stays in the gateway's memory.
@Suite struct TokenCacheTests {
    static let token = "mwt_cachetest0123456789abcdef"

    @Test(.timeLimit(.minutes(1))) func aCachedAnswerIsForgottenOnceStale() async throws {
        let broker = try await AnsweringBroker.start()
        defer { broker.close() }
        let access = BrokerAccess()
        access.attach(broker.link)
        let listed = ConfigSnapshot.Token(name: "default", hash: "h1", featureSets: [], expiresAt: nil)
        _ = access.store(
            ConfigSnapshot(
                generation: 1, activeWorkspace: "eng",
                workspaces: [.init(slug: "eng", name: "Eng", servers: [], featureSets: [], tokens: [listed])],
                clients: []))
        let authenticator = Authenticator(broker: access)

        for _ in 0..<2 {
            guard case .valid = await authenticator.check(Self.token, peer: "127.0.0.1") else {
                Issue.record("the broker's positive answer was not taken")
                return
            }
        }
        #expect(broker.asked == 1)  // the second check was answered from the cache
        #expect(authenticator.cachedCount == 1)

        authenticator.forgetStale(now: .now + .seconds(30))
        #expect(authenticator.cachedCount == 1)  // still fresh
        authenticator.forgetStale(now: .now + Authenticator.cacheLifetime + .seconds(1))
        #expect(authenticator.cachedCount == 0)

        guard case .valid = await authenticator.check(Self.token, peer: "127.0.0.1") else {
            Issue.record("the token was refused after the cache forgot it")
            return
        }
        #expect(broker.asked == 2)  // asked again
    }
}

extension TokenCacheTests {
    static func snapshot(generation: Int64, defaultHash: String) -> ConfigSnapshot {
        let listed = ConfigSnapshot.Token(name: "default", hash: defaultHash, featureSets: [], expiresAt: nil)
        return ConfigSnapshot(
            generation: generation, activeWorkspace: "eng",
            workspaces: [.init(slug: "eng", name: "Eng", servers: [], featureSets: [], tokens: [listed])],
            clients: [])
    }

    /// The token is revoked and its name given to a new token while the gateway waits for the broker's answer,
    /// and the snapshot saying so arrives first. The answer carries the revoked token's own hash: the revoked token
    /// must not pass the cache's check as the new token.
    @Test(.timeLimit(.minutes(1))) func anAnswerCarriesTheTokensOwnHash() async throws {
        let access = BrokerAccess()
        _ = access.store(Self.snapshot(generation: 1, defaultHash: "h1"))
        let replaced = Mutex(false)
        let broker = try await AnsweringBroker.start {
            guard !replaced.withLock({ $0 }) else { return }
            replaced.withLock { $0 = true }
            _ = access.store(Self.snapshot(generation: 2, defaultHash: "h2"))  // `default` is another token now
        }
        defer { broker.close() }
        access.attach(broker.link)
        let authenticator = Authenticator(broker: access)

        guard case .valid(let token) = await authenticator.check(Self.token, peer: "127.0.0.1") else {
            Issue.record("the broker's positive answer was not taken")
            return
        }
        #expect(token.hash == "h1")
        #expect(!access.currentSnapshot().lists(token))  // what the gateway authorizes against says h2: refused
        _ = await authenticator.check(Self.token, peer: "127.0.0.1")
        #expect(broker.asked == 2)  // not answered from the cache under the new token's hash
    }
}

/// A broker socket whose one connection answers every `authenticate` with a workspace token of `eng`, counting the
/// questions.
final class AnsweringBroker: Sendable {
    let link: BrokerLink
    private let path: String
    private let listener: Int32
    private let questions: Questions

    private final class Questions: Sendable {
        let count = Atomic<Int>(0)
    }

    var asked: Int { questions.count.load(ordering: .relaxed) }

    private init(link: BrokerLink, path: String, listener: Int32, questions: Questions) {
        (self.link, self.path, self.listener, self.questions) = (link, path, listener, questions)
    }

    /// Answers that the token is `name` of `eng`, listed with `hash`. `beforeAnswering` runs as each question is
    /// answered, as if the vault changed while the gateway waited.
    static func start(
        name: String = "default", hash: String = "h1", beforeAnswering: @escaping @Sendable () -> Void = {}
    ) async throws -> AnsweringBroker {
        let path = try privateSocketPath("answering")
        let listener = try listenOnUnixSocket(at: path)
        let questions = Questions()
        let token = AuthenticatedToken(
            kind: "workspace", name: name, workspace: "eng", featureSets: [], grants: [:], expiresAt: nil, hash: hash)
        Thread.detachNewThread {
            serve(listener, questions: questions, answer: token, beforeAnswering: beforeAnswering)
        }
        let link = try await BrokerLink.connect(path: path) { _ in }
        return AnsweringBroker(link: link, path: path, listener: listener, questions: questions)
    }

    func close() {
        link.close()
        Glibc.close(listener)
        unlink(path)
    }

    private static func serve(
        _ listener: Int32, questions: Questions, answer token: AuthenticatedToken, beforeAnswering: @Sendable () -> Void
    ) {
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
                guard case .authenticate(let ref, _) = try? BrokerMessage(frame) else { continue }
                questions.count.add(1, ordering: .relaxed)
                beforeAnswering()
                let answer = BrokerMessage.authenticated(ref: ref, token)
                let bytes = FrameDecoder.encode(answer.json)
                guard bytes.withUnsafeBytes({ write(connection, $0.baseAddress, $0.count) }) == bytes.count else {
                    return
                }
            }
        }
    }
}
