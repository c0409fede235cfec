import Foundation
import GRDB
import Testing

@testable import Vault

struct RotationTests {
    func vaultWithSecrets() throws -> TestVault {
        let t = try TestVault()
        try t.workspaceWithServer("eng")
        try t.workspaceWithServer("ops")
        for ws in ["eng", "ops"] {
            for i in 1...3 {
                try t.vault.setSecret(server: "github", name: "T\(i)", value: secret("\(ws)-\(i)"), workspace: ws)
            }
        }
        return t
    }

    func expectAllReadable(_ vault: SecretVault, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for ws in ["eng", "ops"] {
            for i in 1...3 {
                let value = try vault.unsealSecret(server: "github", name: "T\(i)", workspace: ws)
                #expect(value.testString == "\(ws)-\(i)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func masterKeyRotationReplacesTheKeyFileAndKeepsEverySecret() throws {
        let t = try vaultWithSecrets()
        let before = try t.home.keyFile.read()
        try t.vault.rotateMasterKey()
        let after = try t.home.keyFile.read()
        #expect(after.term == before.term + 1)
        #expect(!after.key.constantTimeEquals(before.key))
        #expect(!t.home.pendingKeyFile.exists)
        try expectAllReadable(t.vault)
        try expectAllReadable(try t.reopen())
        // The old key no longer opens the vault.
        t.home.keyFile.remove()
        try t.home.keyFile.write(term: after.term, key: before.key)
        expectIntegrityError { _ = try t.reopen() }
    }

    @Test func tokensStillAuthenticateAfterMasterKeyRotation() throws {
        let t = try TestVault()
        let (_, issued) = try t.vault.createWorkspace(name: "Eng")
        try t.vault.rotateMasterKey()
        #expect(try t.reopen().authenticate(token: issued.token).name == "default")
    }

    @Test func anUnfinishedRotationIsDiscardedOnOpen() throws {
        let t = try vaultWithSecrets()
        // A crash after key.next was written but before the database committed.
        try t.home.pendingKeyFile.write(term: try t.home.keyFile.read().term + 1, key: SecureBytes.random(count: 32))
        try expectAllReadable(try t.reopen())
        #expect(!t.home.pendingKeyFile.exists)
    }

    @Test func aCommittedRotationWhoseRenameWasLostIsFinishedOnOpen() throws {
        let t = try vaultWithSecrets()
        let old = try t.home.keyFile.read()
        try t.vault.rotateMasterKey()
        // Put the files back as they were between the commit and the rename.
        try t.home.keyFile.rename(over: t.home.pendingKeyFile)
        try t.home.keyFile.write(term: old.term, key: old.key)
        try expectAllReadable(try t.reopen())
        #expect(!t.home.pendingKeyFile.exists)
        #expect(try t.home.keyFile.read().term == old.term + 1)
    }

    @Test(arguments: [0, 5, 39, 41])
    func aKeyNextCutShortByACrashIsDiscarded(_ length: Int) throws {
        let t = try vaultWithSecrets()
        let fd = open(t.home.pendingKeyFilePath, O_WRONLY | O_CREAT, 0o600)
        _ = [UInt8](repeating: 0x53, count: length).withUnsafeBytes { write(fd, $0.baseAddress, length) }
        close(fd)
        try expectAllReadable(try t.reopen())
        #expect(!t.home.pendingKeyFile.exists)
    }

    @Test func aCommittedKeyNextThatCannotBeReadIsKeptNotDeleted() throws {
        let t = try vaultWithSecrets()
        let old = try t.home.keyFile.read()
        try t.vault.rotateMasterKey()
        try t.home.keyFile.rename(over: t.home.pendingKeyFile)
        try t.home.keyFile.write(term: old.term, key: old.key)
        chmod(t.home.pendingKeyFilePath, 0o640)  // unreadable by our rule, but it holds the only current key
        expectRefused { _ = try t.reopen() }
        #expect(t.home.pendingKeyFile.exists)
        chmod(t.home.pendingKeyFilePath, 0o600)
        try expectAllReadable(try t.reopen())
    }

    @Test func aHandleOpenedBeforeAnotherProcessRotatedIsStaleNotCorrupting() throws {
        let t = try vaultWithSecrets()
        let stale = try t.reopen()
        try t.vault.rotateMasterKey()
        expectVaultError(.keyRotated) { _ = try stale.createWorkspace(name: "New") }
        expectVaultError(.keyRotated) { _ = try stale.unsealSecret(server: "github", name: "T1", workspace: "eng") }
        expectVaultError(.keyRotated) { try stale.rotateMasterKey() }
        try expectAllReadable(try t.reopen())
        #expect(try t.reopen().workspaces().count == 2)
    }

    @Test func passphraseRotationKeepsTheVaultsArgon2Limits() throws {
        let t = try TestVault(unlock: .passphrase(secret("pass")), kdf: .sensitive)
        try t.vault.rotatePassphrase(secret("pass"))
        let kdf = try t.vault.read { try PassphraseKDF($0) }
        #expect(kdf == .sensitive)
    }

    @Test func workspaceKeyRotationResealsEveryVersionAndDestroysTheOldKey() throws {
        let t = try vaultWithSecrets()
        try t.vault.setSecret(server: "github", name: "T1", value: secret("eng-1-newer"), workspace: "eng")
        try t.vault.rollbackSecret(server: "github", name: "T1", to: 1, workspace: "eng")
        let before = try t.vault.workspace("eng")
        try t.vault.rotateWorkspaceKey(workspace: "eng")
        let after = try t.vault.workspace("eng")
        #expect(after.dataKeyTerm == before.dataKeyTerm + 1)
        let (terms, headers) = try t.vault.read { tx in
            (
                try Int64.fetchAll(
                    tx.db, sql: "SELECT term FROM data_keys WHERE workspace_id = ?", arguments: [after.id]),
                try Data.fetchAll(
                    tx.db, sql: "SELECT sealed FROM secret_versions WHERE workspace_id = ?", arguments: [after.id]
                )
                .map { try SealedBlob(parsing: [UInt8]($0), what: "test").keyTerm }
            )
        }
        #expect(terms == [Int64(after.dataKeyTerm)])
        #expect(headers.count == 5 && headers.allSatisfy { $0 == after.dataKeyTerm })
        try expectAllReadable(try t.reopen())
        #expect(try t.vault.verifySecrets(workspace: nil) == 8)
        let history = try t.vault.secretHistory(server: "github", name: "T1", workspace: "eng")
        #expect(history.count == 3)
    }

    @Test func passphraseRotationKeepsSecretsAndCanChangeThePassphrase() throws {
        let t = try TestVault(unlock: .passphrase(secret("first passphrase")))
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "T", value: secret("kept"), workspace: "eng")
        try t.vault.rotatePassphrase(secret("second passphrase"))
        expectIntegrityError { _ = try t.reopen(passphrase: "first passphrase") }
        #expect(
            try t.reopen(passphrase: "second passphrase").unsealSecret(server: "github", name: "T", workspace: "eng")
                .testString == "kept")
    }
}
