import GRDB
import Testing

@testable import Vault

struct AuditChainTests {
    /// A vault with a handful of audited events.
    func auditedVault() throws -> TestVault {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("s3cr3t-audit"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("s3cr3t-audit-2"), workspace: "eng")
        try t.vault.rollbackSecret(server: "github", name: "TOKEN", to: 1, workspace: "eng")
        try t.vault.removeSecret(server: "github", name: "TOKEN", workspace: "eng")
        return t
    }

    @Test func anIntactChainVerifies() throws {
        let t = try auditedVault()
        let entries = try t.vault.auditEntries(workspace: nil)
        #expect(try t.vault.verifyAudit() == entries.count)
        #expect(
            entries.map(\.event) == [
                "vault.init", "server.add", "workspace.create", "secret.set", "secret.set", "secret.rollback",
                "secret.delete",
            ])
        #expect(entries.allSatisfy { $0.actor == "test" })
    }

    @Test(arguments: [
        "UPDATE audit SET detail = 'v9' WHERE seq = 4",
        "UPDATE audit SET actor = 'someone-else' WHERE seq = 2",
        "UPDATE audit SET at = at + 1 WHERE seq = 3",
        "DELETE FROM audit WHERE seq = 3",
        "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
        "UPDATE audit SET seq = seq + 100 WHERE seq = (SELECT max(seq) FROM audit)",
        "INSERT INTO audit SELECT seq + 1, at, actor, event, workspace, target, detail, hash FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
        "DELETE FROM audit; DELETE FROM meta WHERE key = 'audit_head'",
    ])
    func anyEditOrDeletionIsDetected(_ sql: String) throws {
        let t = try auditedVault()
        try t.tamper { try $0.execute(sql: sql) }
        expectIntegrityError { _ = try t.vault.verifyAudit() }
    }

    @Test func theChainSurvivesMasterKeyRotation() throws {
        let t = try auditedVault()
        try t.vault.rotateMasterKey()
        #expect(try t.reopen().verifyAudit() > 0)
    }
}
