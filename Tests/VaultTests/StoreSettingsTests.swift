import Foundation
import GRDB
import Testing

@testable import Vault

/// The durability and hygiene settings the vault promises, read back from SQLite itself.
struct StoreSettingsTests {
    @Test func walFullSyncSecureDeleteAndForeignKeys() throws {
        let t = try TestVault()
        let (journal, synchronous, secureDelete, foreignKeys) = try t.vault.read { tx in
            (
                try String.fetchOne(tx.db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(tx.db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(tx.db, sql: "PRAGMA secure_delete"),
                try Int.fetchOne(tx.db, sql: "PRAGMA foreign_keys")
            )
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)  // FULL
        #expect(secureDelete == 1)
        #expect(foreignKeys == 1)
    }

    @Test func theSchemaIsVersionedAndANewerVaultIsRefused() throws {
        let t = try TestVault()
        let applied = try t.vault.read { try Schema.migrator.appliedMigrations($0.db) }
        #expect(
            applied == [
                "v1", "v2-usage", "v3-audit-links", "v4-active-token-names", "v5-oauth-settings", "v6-dashboard-links",
            ])
        #expect(SecretVault.schemaVersion == applied.count)  // what `sealgate --version` names
        try t.tamper { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-from-the-future')") }
        expectRefused { _ = try t.reopen() }
    }

    @Test func filesAreOwnerOnly() throws {
        let t = try TestVault()
        var info = stat()
        for path in [t.home.path, t.home.keyFilePath, t.home.databasePath, t.home.databasePath + "-wal"] {
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o077 == 0, "\(path) is open to others")
        }
    }
}
