import BrokerClient
import BrokerProtocol
import Foundation
import Testing
import Vault

/// The gateway checks bearer tokens through the broker, which alone holds the hash key.
@Suite(.serialized)
struct AuthenticationTests {
    @Test func tokensAreCheckedByTheBrokerWithOneAnswerForEveryFailure() async throws {
        var workspaceToken = ""
        var clientToken = ""
        var revokedToken = ""
        var listed: (ci: String?, cursor: String?) = (nil, nil)
        let harness = try BrokerHarness { vault in
            try vault.createFeatureSet(FeatureSet(name: "ro", allow: ["*__get_*"], deny: []), workspace: "eng")
            let issued = try vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: ["ro"], ttl: 3600)
            workspaceToken = issued.token.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            let client = try vault.createClient(name: "cursor", ttl: nil)
            try vault.grant(client: "cursor", workspace: "eng", featureSets: [])
            clientToken = client.token.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            let revoked = try vault.createWorkspaceToken(workspace: "eng", name: "old", featureSets: [], ttl: nil)
            revokedToken = revoked.token.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            try vault.revokeWorkspaceToken(workspace: "eng", name: "old")
            let configuration = try vault.configuration()
            listed = (
                configuration.workspaces.first { $0.info.slug == "eng" }?.tokens.first { $0.info.name == "ci" }?.hash,
                configuration.clients.first { $0.info.name == "cursor" }?.hash
            )
        }
        try await harness.start()
        let client = try harness.client()

        func check(_ token: String) throws -> BrokerMessage {
            let ref = UUID().uuidString
            try client.send(.authenticate(ref: ref, token: token))
            return try client.receive { message -> BrokerMessage? in
                switch message {
                case .authenticated(ref, _), .failure(ref, _, _, _): return message
                default: return nil
                }
            }
        }

        guard case .authenticated(_, let ci) = try check(workspaceToken) else {
            throw CLIFailure("workspace token refused")
        }
        #expect(ci.kind == "workspace" && ci.name == "ci" && ci.workspace == "eng" && ci.featureSets == ["ro"])
        #expect(ci.expiresAt != nil)
        #expect(ci.hash == listed.ci)  // what the gateway looks for in the snapshot
        guard case .authenticated(_, let cursor) = try check(clientToken) else {
            throw CLIFailure("client token refused")
        }
        #expect(cursor.kind == "client" && cursor.workspace == nil && cursor.grants == ["eng": ["all"]])
        #expect(cursor.hash == listed.cursor)

        var failures: Set<String> = []
        for bad in [revokedToken, "mwt_" + String(repeating: "A", count: 43), "not-a-token", ""] {
            guard case .failure(_, _, .refused, let message) = try check(bad) else {
                throw CLIFailure("accepted \(bad)")
            }
            failures.insert(message)
        }
        #expect(failures.count == 1, "every refusal must read the same: \(failures)")
        await harness.stop()
        let audit = try harness.openVault().auditEntries(workspace: nil)
        #expect(audit.filter { $0.event == "token.failed" }.count == 4)
        #expect(!audit.contains { ($0.detail ?? "").contains("mwt_") })
    }
}
