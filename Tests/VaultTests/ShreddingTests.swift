import Foundation
import GRDB
import Testing

@testable import Vault

/// Plaintext never reaches the files; destroyed ciphertext and keys leave no bytes behind.
struct ShreddingTests {
    @Test func noPlaintextIsEverWrittenToTheFiles() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        let values = (1...5).map { "plaintext-marker-\($0)-\(UUID().uuidString)" }
        for value in values {
            try t.vault.setSecret(server: "github", name: "TOKEN", value: secret(value), workspace: "eng")
        }
        try t.vault.rollbackSecret(server: "github", name: "TOKEN", to: 2, workspace: "eng")
        try t.vault.rotateWorkspaceKey(workspace: "eng")
        try t.vault.rotateMasterKey()
        let bytes = try t.fileBytes()
        #expect(!bytes.isEmpty)
        for value in values {
            let leaked = bytes.contains(subsequence: Array(value.utf8))
            #expect(!leaked, "found in the vault files")
        }
    }

    @Test func deletingAWorkspaceLeavesNoneOfItsCiphertextOrKeyBytes() throws {
        let t = try TestVault()
        let eng = try t.workspaceWithServer("eng")
        try t.workspaceWithServer("ops")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("eng-secret-1"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("eng-secret-2"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("ops-secret"), workspace: "ops")
        let (ciphertexts, wrappedKeys) = try readSealed(t, workspaceID: eng.id)
        #expect(ciphertexts.count == 2 && wrappedKeys.count == 1)
        let unwrappedKey = try t.vault.read { try t.vault.dataKey(for: eng, term: eng.dataKeyTerm, in: $0) }
            .withUnsafeBytes { Array($0) }

        try t.vault.deleteWorkspace("eng")

        let bytes = try t.fileBytes()
        for blob in ciphertexts + wrappedKeys {
            // The last 32 bytes: ciphertext and tag, distinct enough to find in any page left behind.
            let leaked = bytes.contains(subsequence: Array(blob.suffix(32)))
            #expect(!leaked, "found in the vault files")
        }
        let keyLeaked = bytes.contains(subsequence: unwrappedKey)
        #expect(!keyLeaked, "found in the vault files")
        #expect(try t.vault.workspaces().map(\.slug) == ["ops"])
        #expect(try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "ops").testString == "ops-secret")
        let leftovers = try t.vault.read { tx in
            try Int.fetchOne(
                tx.db,
                sql: """
                    SELECT (SELECT count(*) FROM data_keys WHERE workspace_id = ?1)
                         + (SELECT count(*) FROM secret_versions WHERE workspace_id = ?1)
                         + (SELECT count(*) FROM tokens WHERE workspace_id = ?1)
                         + (SELECT count(*) FROM grants WHERE workspace_id = ?1)
                         + (SELECT count(*) FROM featuresets WHERE workspace_id = ?1)
                    """, arguments: [eng.id])
        }
        #expect(leftovers == 0)
    }

    @Test func removingASecretLeavesNoneOfItsCiphertext() throws {
        let t = try TestVault()
        let eng = try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("to-be-destroyed"), workspace: "eng")
        let (ciphertexts, _) = try readSealed(t, workspaceID: eng.id)
        try t.vault.removeSecret(server: "github", name: "TOKEN", workspace: "eng")
        let bytes = try t.fileBytes()
        for blob in ciphertexts {
            let leaked = bytes.contains(subsequence: Array(blob.suffix(32)))
            #expect(!leaked, "found in the vault files")
        }
    }

    @Test func aReaderInAnotherProcessDelaysTruncationAndTheCallerIsTold() throws {
        let t = try TestVault()
        try t.workspaceWithServer("eng")
        try t.workspaceWithServer("ops")
        var config = Configuration()
        config.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: t.home.databasePath, configuration: config)
        try reader.inDatabase { db in
            try db.execute(sql: "BEGIN")
            _ = try Row.fetchAll(db, sql: "SELECT * FROM workspaces")
        }
        #expect(try t.vault.deleteWorkspace("eng") == false)
        try reader.inDatabase { try $0.execute(sql: "COMMIT") }
        #expect(try t.vault.deleteWorkspace("ops") == true)
        let walSize =
            (try? FileManager.default.attributesOfItem(atPath: t.home.databasePath + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)
    }

    private func readSealed(_ t: TestVault, workspaceID: Int64) throws -> ([[UInt8]], [[UInt8]]) {
        try t.vault.read { tx in
            (
                try Data.fetchAll(
                    tx.db, sql: "SELECT sealed FROM secret_versions WHERE workspace_id = ?", arguments: [workspaceID]
                ).map { [UInt8]($0) },
                try Data.fetchAll(
                    tx.db, sql: "SELECT sealed FROM data_keys WHERE workspace_id = ?", arguments: [workspaceID]
                ).map { [UInt8]($0) }
            )
        }
    }
}
