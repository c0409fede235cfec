import BrokerProtocol
import Synchronization
import Testing

@testable import Gateway

/// A revoked token's name can be given to a new token (issue 17). A stream opened with the old token must still end
/// when it is revoked, even when the snapshot that revokes it already lists the new token under the same name.
@Suite struct ReusedTokenNameTests {
    static let old = AuthenticatedToken(
        kind: "workspace", name: "ci", workspace: "eng", featureSets: [], grants: [:], expiresAt: nil)

    static func snapshot(generation: Int64, ciHash: String) -> ConfigSnapshot {
        let tokens = [ConfigSnapshot.Token(name: "ci", hash: ciHash, featureSets: [], expiresAt: nil)]
        return ConfigSnapshot(
            generation: generation, activeWorkspace: "eng",
            workspaces: [.init(slug: "eng", name: "Eng", servers: [], featureSets: [], tokens: tokens)],
            clients: [])
    }

    @Test func aStreamOfTheRevokedTokenEndsWhenItsNameNowBelongsToANewToken() {
        let subscribers = Subscribers()
        let ended = Mutex(false)
        _ = subscribers.add(
            Subscribers.Subscriber(
                era: .modern, target: .workspace("eng"), token: Self.old, tokenHash: "h1", fingerprint: nil,
                kinds: [.tools], notify: { _ in }, end: { ended.withLock { $0 = true } }))

        subscribers.configurationChanged(Self.snapshot(generation: 2, ciHash: "h1"))
        #expect(!ended.withLock { $0 })  // the same token: the stream stays
        subscribers.configurationChanged(Self.snapshot(generation: 3, ciHash: "h2"))
        #expect(ended.withLock { $0 })  // `ci` is another token now: the old one's stream ends
        #expect(subscribers.countByEra().isEmpty)
    }
}
