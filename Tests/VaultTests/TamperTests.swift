import Foundation
import GRDB
import Testing

@testable import Vault

/// Every way of changing or moving sealed data must fail as an integrity error, never as a crash or wrong value.
struct TamperTests {
    @Test func aFlippedByteInACiphertextFails() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("ghp_value"), workspace: "eng")
        try t.tamper { db in
            let blob = try [UInt8](Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions")!)
            var flipped = blob
            flipped[blob.count - 3] ^= 0x80
            try db.execute(sql: "UPDATE secret_versions SET sealed = ?", arguments: [Data(flipped)])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng") }
        expectIntegrityError { _ = try t.vault.verifySecrets(workspace: nil) }
    }

    @Test func aChangedKeyTermInTheHeaderFails() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("ghp_value"), workspace: "eng")
        try t.tamper { db in
            var blob = try [UInt8](Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions")!)
            blob[4] ^= 0x01
            try db.execute(sql: "UPDATE secret_versions SET sealed = ?", arguments: [Data(blob)])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng") }
    }

    @Test func twoSecretsWithTheirCiphertextsSwappedFail() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN_A", value: secret("value-a"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN_B", value: secret("value-b"), workspace: "eng")
        try t.tamper { db in
            let a = try Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions WHERE name = 'TOKEN_A'")!
            let b = try Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions WHERE name = 'TOKEN_B'")!
            try db.execute(sql: "UPDATE secret_versions SET sealed = ? WHERE name = 'TOKEN_A'", arguments: [b])
            try db.execute(sql: "UPDATE secret_versions SET sealed = ? WHERE name = 'TOKEN_B'", arguments: [a])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN_A", workspace: "eng") }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN_B", workspace: "eng") }
    }

    @Test func anOldVersionCopiedOverTheCurrentOneFails() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("old"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("new"), workspace: "eng")
        try t.tamper { db in
            let old = try Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions WHERE version = 1")!
            try db.execute(sql: "UPDATE secret_versions SET sealed = ? WHERE version = 2", arguments: [old])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng") }
    }

    @Test func aSecretRowMovedToAnotherWorkspaceFails() throws {
        let t = try TestVault()
        let eng = try t.workspaceWithServer("eng")
        let ops = try t.workspaceWithServer("ops")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("eng-value"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("ops-value"), workspace: "ops")
        try t.tamper { db in
            let engBlob = try Data.fetchOne(
                db, sql: "SELECT sealed FROM secret_versions WHERE workspace_id = ?", arguments: [eng.id])!
            try db.execute(
                sql: "UPDATE secret_versions SET sealed = ? WHERE workspace_id = ?", arguments: [engBlob, ops.id])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "ops") }
        #expect(try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng").testString == "eng-value")
    }

    @Test func dataKeysSwappedBetweenWorkspacesFail() throws {
        let t = try TestVault()
        let eng = try t.workspaceWithServer("eng")
        let ops = try t.workspaceWithServer("ops")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("eng-value"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("ops-value"), workspace: "ops")
        try t.tamper { db in
            let a = try Data.fetchOne(
                db, sql: "SELECT sealed FROM data_keys WHERE workspace_id = ?", arguments: [eng.id])!
            let b = try Data.fetchOne(
                db, sql: "SELECT sealed FROM data_keys WHERE workspace_id = ?", arguments: [ops.id])!
            try db.execute(sql: "UPDATE data_keys SET sealed = ? WHERE workspace_id = ?", arguments: [b, eng.id])
            try db.execute(sql: "UPDATE data_keys SET sealed = ? WHERE workspace_id = ?", arguments: [a, ops.id])
        }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng") }
        expectIntegrityError { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "ops") }
    }

    @Test func aWrongMasterKeyFailsToOpenTheVault() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        let term = try t.home.keyFile.read().term
        t.home.keyFile.remove()
        try t.home.keyFile.write(term: term, key: SecureBytes.random(count: 32))
        expectIntegrityError { _ = try t.reopen() }
    }

    @Test func aKeyFileOfAnotherTermFailsToOpenTheVault() throws {
        let t = try TestVault()
        let key = try t.home.keyFile.read().key
        t.home.keyFile.remove()
        try t.home.keyFile.write(term: 9, key: key)
        expectIntegrityError { _ = try t.reopen() }
    }

    @Test func aTruncatedKeyFileFails() throws {
        let t = try TestVault()
        truncate(t.home.keyFilePath, 20)
        expectIntegrityError { _ = try t.reopen() }
    }

    @Test func aKeyFileReadableByOthersIsRefused() throws {
        let t = try TestVault()
        chmod(t.home.keyFilePath, 0o644)
        expectRefused { _ = try t.reopen() }
    }

    @Test func aWrongPassphraseFailsAndTheRightOneOpens() throws {
        let t = try TestVault(unlock: .passphrase(secret("correct horse battery staple")))
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("v"), workspace: "eng")
        expectIntegrityError { _ = try t.reopen(passphrase: "wrong horse") }
        let reopened = try t.reopen(passphrase: "correct horse battery staple")
        #expect(try reopened.unsealSecret(server: "github", name: "TOKEN", workspace: "eng").testString == "v")
        #expect(!t.home.keyFile.exists)
    }

    @Test func passphraseParametersOffTheAllowListAreRefused() throws {
        let t = try TestVault(unlock: .passphrase(secret("pass")))
        try t.tamper { db in
            try db.execute(sql: "UPDATE meta SET value = 8388608 WHERE key = 'kdf_mem'")
        }
        expectIntegrityError { _ = try t.reopen(passphrase: "pass") }
    }

    @Test func aTamperedRootKeyFailsToOpen() throws {
        let t = try TestVault()
        try t.tamper { db in
            var root = try [UInt8](Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'root_sealed'")!)
            root[root.count - 1] ^= 1
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'root_sealed'", arguments: [Data(root)])
        }
        expectIntegrityError { _ = try t.reopen() }
    }

    @Test func garbageInTheDatabaseFileIsAnIntegrityError() throws {
        let t = try TestVault()
        try t.vault.store.checkpointAndTruncate()
        let fd = open(t.home.databasePath, O_WRONLY)
        _ = pwrite(fd, [UInt8](repeating: 0x5A, count: 100), 100, 0)
        close(fd)
        expectIntegrityError { _ = try t.reopen() }
    }
}
