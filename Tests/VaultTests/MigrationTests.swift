import Foundation
import GRDB
import Testing

@testable import Vault

/// A vault written by the sealgate before the `v3-audit-links` migration (commit 8571eb7) opens, migrates and
/// verifies; its first change brings the head up to date, after which a log cut back is caught as in a new vault.
///
/// `Fixtures/legacy-v2-vault.db` and its key `Fixtures/TEST-ONLY-legacy-vault.key` (a throwaway test key that
/// protects nothing) were made with that build's binary, `SEALGATE_HOME` pointing at an empty directory:
///
///     init; workspace create Eng; workspace create Ops
///     server add github --command gh-mcp --env 'GH_TOKEN=${TOKEN}'; mcp install github --workspace eng
///     secrets set github TOKEN --workspace eng  (legacy-v1, then legacy-v2); secrets rollback github TOKEN --to 1 …
///     featureset create read --workspace eng --allow 'github__get_*'
///     workspace token create eng --name laptop --featureset read; workspace token create eng --name old
///     workspace token revoke eng old; client create ide; client grant ide --workspace eng --featureset read
///     server add legacy --command old-cmd; secrets set legacy KEY --workspace ops (legacy-orphan)
///     server remove legacy   (which then kept the secret); secrets set github TOKEN --workspace ops (legacy-ops)
///     keys rotate --workspace eng; keys rotate
struct MigrationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// A copy of the legacy vault in a fresh home, opened (and so migrated).
    func legacyVault() throws -> (home: VaultHome, vault: SecretVault) {
        let home = VaultHome(path: try TemporaryDirectory.make())
        for (source, target) in [
            ("legacy-v2-vault.db", home.databasePath), ("TEST-ONLY-legacy-vault.key", home.keyFilePath),
        ] {
            try Data(contentsOf: Self.fixtures.appendingPathComponent(source)).write(to: URL(fileURLWithPath: target))
            chmod(target, 0o600)  // git keeps no mode
        }
        let vault = try SecretVault.open(home: home, actor: "test") { () throws(VaultError) in
            throw VaultError(.refused, "a key-file vault")
        }
        return (home, vault)
    }

    @Test func aLegacyVaultOpensMigratesAndVerifies() throws {
        let (home, vault) = try legacyVault()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let result = try vault.verifyAudit(against: nil)
        #expect(!result.coversState)
        #expect(result.entries == 20)
        #expect(try vault.read { try $0.rowsWithoutCreatingEntry() }.isEmpty)
        let linked = try vault.read { tx in
            try Int.fetchOne(
                tx.db,
                sql: """
                    SELECT (SELECT count(*) FROM tokens WHERE audit_seq IS NOT NULL)
                         + (SELECT count(*) FROM grants WHERE audit_seq IS NOT NULL)
                         + (SELECT count(*) FROM secret_versions WHERE audit_seq IS NOT NULL)
                    """)
        }
        // Tokens: two `default`, laptop, old, the client ide; one grant; versions: eng 1-3, ops 1, the orphan.
        #expect(linked == 5 + 1 + 5)
        #expect(try vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng").testString == "legacy-v1")
        #expect(try vault.unsealSecret(server: "github", name: "TOKEN", workspace: "ops").testString == "legacy-ops")
        #expect(try vault.verifySecrets(workspace: nil) == 5)

        // The first change rewrites the head over the rows.
        _ = try vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        #expect(try vault.verifyAudit(against: nil).coversState)
    }

    @Test func aMigratedVaultCatchesALogCutBack() throws {
        let (home, vault) = try legacyVault()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        // Even before its head covers the rows, a cut is caught: by the head, or by the rows it leaves unlinked.
        let queue = try DatabaseQueue(path: home.databasePath)
        try queue.write { try $0.execute(sql: "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)") }
        expectIntegrityError { _ = try vault.verifyAudit() }
    }

    @Test func aMigratedVaultsFirstChangeBindsTheRows() throws {
        let (home, vault) = try legacyVault()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let before = try vault.read { tx in (try tx.lastAuditEntry()!.entry.seq, try tx.metaBlob("audit_head")!) }
        _ = try vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: nil)
        let queue = try DatabaseQueue(path: home.databasePath)
        try queue.write { db in
            try db.execute(sql: "DELETE FROM audit WHERE seq > ?", arguments: [before.0])
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'audit_head'", arguments: [Data(before.1)])
            try db.execute(sql: "DELETE FROM meta WHERE key = 'audit_head_version'")
        }
        do {
            _ = try vault.verifyAudit()
            Issue.record("a migrated vault's log cut back to its legacy head verified")
        } catch {
            #expect(error.code == .integrity && error.message.contains("token ci in eng"), "\(error)")
        }
    }

    /// `v4-active-token-names`: the legacy vault's revoked token `old` no longer holds its name.
    @Test func aLegacyVaultsRevokedTokenNameIsFreeAfterTheMigration() throws {
        let (home, vault) = try legacyVault()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        let reused = try vault.createWorkspaceToken(workspace: "eng", name: "old", featureSets: [], ttl: nil)
        #expect(try vault.authenticate(token: reused.token).name == "old")
        expectRefused { _ = try vault.createWorkspaceToken(workspace: "eng", name: "old", featureSets: [], ttl: nil) }
        #expect(
            try vault.workspaceTokens(workspace: "eng", includeRevoked: true).filter { $0.name == "old" }.count == 2)
        #expect(try vault.verifyAudit(against: nil).coversState)
        #expect(try vault.read { try $0.rowsWithoutCreatingEntry() }.isEmpty)
    }

    @Test func aRemovedServersLeftoverSecretIsDestroyedWhenItsSlugIsAddedAgain() throws {
        let (home, vault) = try legacyVault()
        defer { try? FileManager.default.removeItem(atPath: home.path) }
        #expect(try vault.secrets(server: "legacy", workspace: "ops").1.map(\.name) == ["KEY"])
        try vault.addServer(ServerDefinition(slug: "legacy", transport: .stdio(command: "new-cmd", args: [])))
        try vault.install(server: "legacy", workspace: "ops")
        #expect(try vault.unsealForInjection(server: "legacy", workspace: "ops", purpose: "test").isEmpty)
        #expect(try vault.secrets(server: "legacy", workspace: "ops").1.isEmpty)
        #expect(try vault.verifyAudit(against: nil).coversState)
    }
}
