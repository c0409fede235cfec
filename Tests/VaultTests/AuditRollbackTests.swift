import Foundation
import GRDB
import Testing

@testable import Vault

/// The audit log cannot be cut back, nor the rows it describes changed, without `audit verify` failing; a head
/// recorded outside the vault catches a vault rolled back as a whole.
struct AuditRollbackTests {
    /// A vault with one of everything the log links: a workspace with its default token, a server installed with a
    /// secret of two versions (one a rollback), a FeatureSet, a token, a client with a grant, a revoked token.
    func populatedVault() throws -> TestVault {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.install(server: "github", workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("v1-value"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("v2-value"), workspace: "eng")
        try t.vault.rollbackSecret(server: "github", name: "TOKEN", to: 1, workspace: "eng")
        try t.vault.createFeatureSet(FeatureSet(name: "read", allow: ["github__get_*"], deny: []), workspace: "eng")
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "laptop", featureSets: ["read"], ttl: nil)
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "old", featureSets: [], ttl: nil)
        try t.vault.revokeWorkspaceToken(workspace: "eng", name: "old")
        _ = try t.vault.createClient(name: "ide", ttl: nil)
        try t.vault.grant(client: "ide", workspace: "eng", featureSets: ["read"])
        return t
    }

    /// The head as stored now, as an attacker would copy it from a backup.
    func storedHead(_ t: TestVault) throws -> (seq: Int64, head: Data) {
        try t.vault.read { tx in
            (try tx.lastAuditEntry()!.entry.seq, Data(try tx.metaBlob("audit_head")!))
        }
    }

    /// The attacker's move of the issue: cut the newest entries and write back the head of that earlier point.
    func cutBack(_ t: TestVault, to old: (seq: Int64, head: Data)) throws {
        try t.tamper { db in
            try db.execute(sql: "DELETE FROM audit WHERE seq > ?", arguments: [old.seq])
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'audit_head'", arguments: [old.head])
        }
    }

    @Test func aLogCutBackToAnEarlierHeadIsDetectedWhileTheTokenStays() throws {
        let t = try populatedVault()
        let before = try storedHead(t)
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        #expect(try t.vault.verifyAudit() > 0)
        try cutBack(t, to: before)
        #expect(try t.vault.workspaceTokens(workspace: "eng").contains { $0.name == "ci" })
        do {
            _ = try t.vault.verifyAudit()
            Issue.record("a log cut back before `token.create ci` verified")
        } catch {
            #expect(error.code == .integrity)
            #expect(error.message.contains("token ci in eng"), "\(error)")
        }
    }

    /// Changes made through Sealgate after the head an attacker kept.
    enum LaterChange: CaseIterable {
        case grant, secretVersion, client, installation, revocation

        func apply(to t: TestVault) throws {
            switch self {
            case .grant: try t.vault.grant(client: "ide", workspace: "eng", featureSets: ["all"])
            case .secretVersion:
                try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("v4"), workspace: "eng")
            case .client: _ = try t.vault.createClient(name: "agent", ttl: nil)
            case .installation:
                try t.vault.addServer(ServerDefinition(slug: "jira", transport: .stdio(command: "jira", args: [])))
                try t.vault.install(server: "jira", workspace: "eng")
            // Creates no row: the head's binding to the rows catches this one.
            case .revocation: try t.vault.revokeWorkspaceToken(workspace: "eng", name: "laptop")
            }
        }
    }

    @Test(arguments: LaterChange.allCases)
    func anyChangeWhoseEntriesWereCutIsDetected(_ change: LaterChange) throws {
        let t = try populatedVault()
        let before = try storedHead(t)
        try change.apply(to: t)
        try cutBack(t, to: before)
        expectIntegrityError { _ = try t.vault.verifyAudit() }
    }

    /// Changes made to the rows without the key, each of which Sealgate would have audited.
    @Test(arguments: [
        "UPDATE tokens SET revoked_at = NULL WHERE name = 'old'",
        "UPDATE tokens SET expires_at = 1 WHERE name = 'laptop'",
        "UPDATE tokens SET featuresets = '[]' WHERE name = 'laptop'",
        "DELETE FROM tokens WHERE name = 'laptop'",
        "UPDATE grants SET featuresets = '[\"all\"]'",
        "DELETE FROM grants",
        "DELETE FROM secret_versions WHERE version = 2",
        "UPDATE secrets SET current_version = 2",
        "UPDATE servers SET command = '/tmp/evil'",
        "DELETE FROM installations",
        "UPDATE featuresets SET allow = '[\"*\"]'",
        "DELETE FROM featuresets",
        "UPDATE tokens SET audit_seq = NULL WHERE name = 'laptop'",
        "UPDATE tokens SET audit_seq = 3 WHERE name = 'laptop'",
        "DELETE FROM meta WHERE key = 'active_workspace'",
        "UPDATE meta SET value = randomblob(16) WHERE key = 'vault_id'",
        "DELETE FROM meta WHERE key = 'audit_head_version'",
        "UPDATE meta SET value = 7 WHERE key = 'audit_head_version'",
    ])
    func anEditOfTheAuditedRowsIsDetected(_ sql: String) throws {
        let t = try populatedVault()
        #expect(try t.vault.verifyAudit() > 0)
        try t.tamper { db in
            try db.execute(sql: sql)
            #expect(db.changesCount > 0, "the statement changed nothing")
        }
        expectIntegrityError { _ = try t.vault.verifyAudit() }
    }

    @Test func everyOrdinaryChangeKeepsTheLogVerifying() throws {
        let t = try populatedVault()
        let (_, issued) = try t.vault.createWorkspace(name: "Ops", slug: "ops")
        let steps: [(String, () throws -> Void)] = [
            (
                "old versions pruned",
                {
                    for i in 0..<(SecretVault.keptVersions + 2) {
                        let value = secret("v-\(i)")
                        try t.vault.setSecret(server: "github", name: "TOKEN", value: value, workspace: "eng")
                    }
                }
            ),
            ("token use", { _ = try t.vault.authenticate(token: issued.token) }),
            ("a failed token", { expectRefused { _ = try t.vault.authenticate(token: secret("mwt_nope")) } }),
            ("a broker event", { try t.vault.recordEvent("lease.grant", workspace: "eng", target: "github") }),
            ("injection", { _ = try t.vault.unsealForInjection(server: "github", workspace: "eng", purpose: "test") }),
            ("a re-grant", { try t.vault.grant(client: "ide", workspace: "eng", featureSets: ["all"]) }),
            ("a grant revoked", { try t.vault.revokeGrant(client: "ide", workspace: "eng") }),
            ("a workspace key rotation", { try t.vault.rotateWorkspaceKey(workspace: "eng") }),
            ("a master key rotation", { try t.vault.rotateMasterKey() }),
            ("workspace use", { try t.vault.useWorkspace("ops") }),
            ("a server removed", { try t.vault.removeServer("github") }),
            ("a workspace deleted", { try t.vault.deleteWorkspace("eng") }),
            ("a client deleted", { try t.vault.deleteClient(name: "ide") }),
        ]
        for (what, step) in steps {
            try step()
            do {
                _ = try t.vault.verifyAudit()
            } catch {
                Issue.record("after \(what): \(error)")
            }
        }
        #expect(try t.reopen().verifyAudit(against: nil).coversState)
    }

    @Test func aRecordedHeadCatchesAVaultCutBackBeforeIt() throws {
        let t = try populatedVault()
        let early = try t.vault.auditHead()
        _ = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        let late = try t.vault.auditHead()
        #expect(late.seq == early.seq + 1)
        #expect(try t.vault.verifyAudit(against: early).entries == Int(late.seq))
        #expect(try t.vault.verifyAudit(against: late).head == late)
        // The newest entry and its token gone, and the head recomputed as only the key holder could: here, the
        // stand-in for a whole vault file rolled back to a copy made before `late`.
        try t.tamper { db in
            try db.execute(sql: "DELETE FROM tokens WHERE name = 'ci'")
            try db.execute(sql: "DELETE FROM audit WHERE seq = ?", arguments: [late.seq])
        }
        try t.vault.writeReturning(changesConfiguration: true) { _ in ((), nil) }
        #expect(try t.vault.verifyAudit(against: early).entries == Int(early.seq))
        do {
            _ = try t.vault.verifyAudit(against: late)
            Issue.record("a vault cut back before the recorded head verified against it")
        } catch {
            #expect(error.code == .integrity)
            #expect(error.message.contains("before the recorded head"), "\(error)")
        }
    }

    @Test func aHeadOfAnotherVaultOrAnEditedOneDoesNotMatch() throws {
        let t = try populatedVault()
        let other = try populatedVault()
        let theirs = try other.vault.auditHead()
        let ours = try t.vault.auditHead()
        #expect(theirs.seq == ours.seq && theirs != ours)
        expectIntegrityError { _ = try t.vault.verifyAudit(against: theirs) }
        var edited = Array(ours.description)
        edited[edited.count - 1] = edited.last == "0" ? "1" : "0"
        let forged = try #require(AuditCheckpoint(String(edited)))
        expectIntegrityError { _ = try t.vault.verifyAudit(against: forged) }
    }

    @Test(arguments: [
        "", "12", "12:", ":" + String(repeating: "a", count: 64), "0:" + String(repeating: "a", count: 64),
        "-1:" + String(repeating: "a", count: 64), "3:" + String(repeating: "a", count: 63),
        "3:" + String(repeating: "a", count: 65), "3:" + String(repeating: "g", count: 64),
        "3:+" + String(repeating: "a", count: 63), "3:" + String(repeating: "a", count: 64) + ":1",
    ])
    func malformedHeadsAreRejected(_ text: String) {
        #expect(AuditCheckpoint(text) == nil)
    }

    @Test func aHeadRoundTrips() throws {
        let head = AuditCheckpoint(seq: 42, value: (0..<32).map { UInt8($0 * 7) })
        #expect(AuditCheckpoint(head.description) == head)
        #expect(AuditCheckpoint(head.description.uppercased()) == head)
        #expect(head.description.hasPrefix("42:00070e15"))
    }
}
