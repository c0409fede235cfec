import Foundation
import GRDB
import Testing

@testable import Vault

/// A revoked token's or client's name is free again (issue 17); a name stays unique among the tokens that are not
/// revoked, in the schema itself; the audit log still names the entry that created every row of a reused name.
struct TokenNameReuseTests {
    @Test func aRevokedTokensNameCanBeGivenToANewToken() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        let first = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        expectRefused { _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil) }
        try t.vault.revokeWorkspaceToken(workspace: "eng", name: "ci")
        let second = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        expectRefused { _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil) }

        expectRefused { _ = try t.vault.authenticate(token: first.token) }
        #expect(try t.vault.authenticate(token: second.token).name == "ci")
        #expect(try t.vault.workspaceTokens(workspace: "eng").map(\.name) == ["ci", "default"])
        let all = try t.vault.workspaceTokens(workspace: "eng", includeRevoked: true).filter { $0.name == "ci" }
        #expect(all.map(\.id).sorted() == [first.info.id, second.info.id])
        #expect(all.first { $0.id == first.info.id }?.revokedAt != nil)
        // The gateway is given only the new one, so a name in its snapshot is never ambiguous.
        let listed = try t.vault.configuration().workspaces[0].tokens.map(\.info.id)
        #expect(listed.contains(second.info.id) && !listed.contains(first.info.id))

        // Revoking by name revokes the one that is not revoked yet; then the name is all revoked.
        try t.vault.revokeWorkspaceToken(workspace: "eng", name: "ci")
        expectRefused { _ = try t.vault.authenticate(token: second.token) }
        expectRefused { try t.vault.revokeWorkspaceToken(workspace: "eng", name: "ci") }

        #expect(try t.vault.verifyAudit(against: nil).coversState)
        #expect(try t.vault.read { try $0.rowsWithoutCreatingEntry() }.isEmpty)
    }

    @Test func aRevokedClientsNameCanBeGivenToANewClientWithItsOwnGrants() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createWorkspace(name: "Ops")
        let first = try t.vault.createClient(name: "ide", ttl: nil)
        try t.vault.grant(client: "ide", workspace: "eng", featureSets: [])
        expectRefused { _ = try t.vault.createClient(name: "ide", ttl: nil) }
        try t.vault.revokeClient(name: "ide")
        expectRefused { _ = try t.vault.authenticate(token: first.token) }
        let second = try t.vault.createClient(name: "ide", ttl: nil)
        try t.vault.grant(client: "ide", workspace: "ops", featureSets: [])

        #expect(try t.vault.clients().map { $0.grants.map(\.workspace) } == [["ops"]])
        let all = try t.vault.clients(includeRevoked: true)
        #expect(all.count == 2 && all.filter { $0.token.revokedAt != nil }.map(\.token.id) == [first.info.id])
        #expect(try t.vault.authenticate(token: second.token).id == second.info.id)
        #expect(try t.vault.configuration().clients.map(\.info.id) == [second.info.id])

        try t.vault.revokeClient(name: "ide")
        expectVaultError(.notFound) { try t.vault.revokeClient(name: "ide") }
        expectVaultError(.notFound) { try t.vault.grant(client: "ide", workspace: "eng", featureSets: []) }
        #expect(try t.vault.clients().isEmpty)
        #expect(try t.vault.verifyAudit(against: nil).coversState)
        #expect(try t.vault.read { try $0.rowsWithoutCreatingEntry() }.isEmpty)
    }

    /// The rule is the schema's, not only the Swift check's: a second active row of a name cannot be written.
    @Test func theSchemaKeepsANameUniqueAmongTokensNotRevoked() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        _ = try t.vault.createClient(name: "ide", ttl: nil)
        for kind in ["workspace", "client"] {
            #expect(throws: DatabaseError.self) {
                try t.tamper { db in
                    try db.execute(
                        sql: """
                            INSERT INTO tokens(kind, workspace_id, name, hash, created_at)
                            VALUES (?, CASE ? WHEN 'workspace' THEN (SELECT id FROM workspaces) END, ?, randomblob(32), 0)
                            """,
                        arguments: [kind, kind, kind == "workspace" ? "ci" : "ide"])
                }
            }
        }
        #expect(SecretVault.schemaVersion >= 4)
    }

    @Test func aRevokedTokenNoLongerHoldsItsFeatureSet() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        try t.vault.createFeatureSet(FeatureSet(name: "read", allow: ["*__get_*"], deny: []), workspace: "eng")
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: ["read"], ttl: nil)
        expectRefused { try t.vault.deleteFeatureSet(name: "read", workspace: "eng") }
        try t.vault.revokeWorkspaceToken(workspace: "eng", name: "ci")
        try t.vault.deleteFeatureSet(name: "read", workspace: "eng")
    }
}
