import Testing

@testable import Vault

struct SecretLifecycleTests {
    @Test func setAddsVersionsAndTheCurrentOneReadsBack() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        #expect(try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("one"), workspace: "eng") == 1)
        #expect(try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("two"), workspace: nil) == 2)
        #expect(try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng").testString == "two")
        let history = try t.vault.secretHistory(server: "github", name: "TOKEN", workspace: "eng")
        #expect(history.map(\.version) == [2, 1])
        #expect(history.map(\.isCurrent) == [true, false])
    }

    @Test func onlyTheLastTenVersionsAreKept() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        for i in 1...13 {
            try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("value-\(i)"), workspace: "eng")
        }
        let history = try t.vault.secretHistory(server: "github", name: "TOKEN", workspace: "eng")
        #expect(history.map(\.version) == Array((4...13).reversed()))
        #expect(throws: VaultError.self) {
            try t.vault.rollbackSecret(server: "github", name: "TOKEN", to: 3, workspace: "eng")
        }
    }

    @Test func rollbackCopiesTheOldValueIntoANewVersion() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("one"), workspace: "eng")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("two"), workspace: "eng")
        #expect(try t.vault.rollbackSecret(server: "github", name: "TOKEN", to: 1, workspace: "eng") == 3)
        #expect(try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng").testString == "one")
        let history = try t.vault.secretHistory(server: "github", name: "TOKEN", workspace: "eng")
        #expect(history.first?.rolledBackFrom == 1)
        #expect(history.count == 3)
    }

    @Test func removeDestroysEveryVersion() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("one"), workspace: "eng")
        try t.vault.removeSecret(server: "github", name: "TOKEN", workspace: "eng")
        #expect(try t.vault.secrets(server: nil, workspace: "eng").1.isEmpty)
        expectVaultError(.notFound) { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "eng") }
    }

    @Test func secretsAreKeyedByWorkspace() throws {
        let t = try TestVault()
        try t.workspaceWithServer("eng")
        try t.workspaceWithServer("ops")
        try t.vault.setSecret(server: "github", name: "TOKEN", value: secret("eng"), workspace: "eng")
        expectVaultError(.notFound) { _ = try t.vault.unsealSecret(server: "github", name: "TOKEN", workspace: "ops") }
    }

    @Test(arguments: ["", "1ABC", "WITH-DASH", "has space", String(repeating: "A", count: 129)])
    func badSecretNamesAreRefused(_ name: String) throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        expectVaultError(.invalidInput) {
            try t.vault.setSecret(server: "github", name: name, value: secret("x"), workspace: "eng")
        }
    }

    @Test func anEmptyValueIsRefused() throws {
        let t = try TestVault()
        try t.workspaceWithServer()
        #expect(throws: VaultError.self) {
            try t.vault.setSecret(server: "github", name: "TOKEN", value: secret(""), workspace: "eng")
        }
    }

    @Test func theSecretTypeNeverPrintsItsValue() {
        let value = secret("ghp_do_not_print")
        #expect(String(describing: value) == "<redacted>")
        #expect(String(reflecting: value).contains("redacted"))
        #expect(!"\(value)".contains("ghp"))
        #expect(value == secret("ghp_do_not_print"))
        #expect(value != secret("ghp_do_not_prinT"))
    }
}
