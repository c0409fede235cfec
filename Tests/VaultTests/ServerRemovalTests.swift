import Foundation
import GRDB
import Testing

@testable import Vault

/// A server definition's secrets end with it: a definition added later under the same slug starts empty.
struct ServerRemovalTests {
    static let oldValue = "old-definition-secret-0451"

    /// `svc` (running `old-cmd`) installed in `eng` and `ops` with a secret in each, then removed.
    func removedServer() throws -> (TestVault, ciphertexts: [[UInt8]]) {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "eng", slug: "eng")
        _ = try t.vault.createWorkspace(name: "ops", slug: "ops")
        try t.vault.addServer(ServerDefinition(slug: "svc", transport: .stdio(command: "old-cmd", args: [])))
        for ws in ["eng", "ops"] {
            try t.vault.install(server: "svc", workspace: ws)
            try t.vault.setSecret(server: "svc", name: "TOKEN", value: secret(Self.oldValue), workspace: ws)
        }
        try t.vault.setSecret(server: "svc", name: "TOKEN", value: secret(Self.oldValue + "-2"), workspace: "eng")
        #expect(try t.vault.unsealForInjection(server: "svc", workspace: "eng", purpose: "test").count == 1)
        let ciphertexts = try t.vault.read { tx in
            try Data.fetchAll(tx.db, sql: "SELECT sealed FROM secret_versions WHERE server = 'svc'").map { [UInt8]($0) }
        }
        #expect(ciphertexts.count == 3)
        let removal = try t.vault.removeServer("svc")
        #expect(removal.destroyed == ["eng/TOKEN", "ops/TOKEN"])
        #expect(removal.complete)
        return (t, ciphertexts)
    }

    @Test func aNewDefinitionUnderTheSameSlugNeverReceivesTheOldSecrets() throws {
        let (t, _) = try removedServer()
        try t.vault.addServer(ServerDefinition(slug: "svc", transport: .stdio(command: "new-cmd", args: [])))
        try t.vault.install(server: "svc", workspace: "eng")
        // What the broker (and `sealgate run`) injects into the new definition's process.
        #expect(try t.vault.unsealForInjection(server: "svc", workspace: "eng", purpose: "test").isEmpty)
        #expect(try t.vault.unsealForInjection(server: "svc", workspace: "ops", purpose: "test").isEmpty)
        expectVaultError(.notFound) { _ = try t.vault.unsealSecret(server: "svc", name: "TOKEN", workspace: "eng") }
        expectVaultError(.notFound) { _ = try t.vault.secretHistory(server: "svc", name: "TOKEN", workspace: "eng") }
        #expect(try t.vault.secrets(server: nil, workspace: "eng").1.isEmpty)
        #expect(try t.vault.secrets(server: nil, workspace: "ops").1.isEmpty)
        // The new definition's own secrets start at version 1 and are its alone.
        #expect(try t.vault.setSecret(server: "svc", name: "TOKEN", value: secret("new-value"), workspace: "eng") == 1)
        let injected = try t.vault.unsealForInjection(server: "svc", workspace: "eng", purpose: "test")
        #expect(injected.map { $0.value.testString } == ["new-value"])
        #expect(try t.vault.verifyAudit() > 0)
    }

    @Test func removalDestroysTheCiphertextAndSaysSoInTheAuditLog() throws {
        let (t, ciphertexts) = try removedServer()
        let bytes = try t.fileBytes()
        for blob in ciphertexts {
            let leaked = bytes.contains(subsequence: Array(blob.suffix(32)))
            #expect(!leaked, "found in the vault files")
        }
        let removal = try #require(try t.vault.auditEntries(workspace: nil).last)
        #expect(removal.event == "server.remove" && removal.target == "svc")
        #expect(removal.detail == "destroyed secrets: eng/TOKEN, ops/TOKEN")
        #expect(try t.vault.verifyAudit() > 0)
    }

    /// Vaults from before removal destroyed secrets may still hold a removed definition's: adding a definition
    /// under that slug destroys them first.
    @Test func secretsLeftByAnOlderVersionAreDestroyedWhenTheSlugIsAddedAgain() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "eng", slug: "eng")
        try t.vault.addServer(ServerDefinition(slug: "svc", transport: .stdio(command: "old-cmd", args: [])))
        try t.vault.setSecret(server: "svc", name: "TOKEN", value: secret(Self.oldValue), workspace: "eng")
        // What `server remove` did before: the definition goes, its secrets stay.
        try t.vault.write { tx in
            try tx.deleteServer(slug: "svc")
            return AuditEvent(event: "server.remove", target: "svc")
        }
        #expect(try t.vault.secrets(server: "svc", workspace: "eng").1.count == 1)
        try t.vault.addServer(ServerDefinition(slug: "svc", transport: .stdio(command: "new-cmd", args: [])))
        #expect(try t.vault.unsealForInjection(server: "svc", workspace: "eng", purpose: "test").isEmpty)
        #expect(try t.vault.secrets(server: nil, workspace: "eng").1.isEmpty)
        let added = try #require(try t.vault.auditEntries(workspace: nil).last { $0.event == "server.add" })
        #expect(added.detail == "destroyed earlier secrets: eng/TOKEN")
        #expect(try t.vault.verifyAudit() > 0)
    }
}
