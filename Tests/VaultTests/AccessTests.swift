import Foundation
import Testing

@testable import Vault

struct AccessTests {
    @Test func tokensHaveTheContractFormatAndAreStoredOnlyAsHashes() throws {
        let t = try TestVault()
        let (workspace, issued) = try t.vault.createWorkspace(name: "Engineering")
        #expect(workspace.slug == "engineering")
        let text = issued.token.testString
        #expect(text.hasPrefix("mwt_") && text.count == 4 + 43)
        #expect(text.dropFirst(4).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        let leaked = try t.fileBytes().contains(subsequence: Array(text.utf8))
        #expect(!leaked, "the token is in the vault files")
        #expect(issued.info.name == "default" && issued.info.workspace == "engineering")
    }

    @Test func authenticationAcceptsGoodTokensAndRefusesRevokedExpiredAndUnknownOnes() throws {
        let t = try TestVault()
        let (_, first) = try t.vault.createWorkspace(name: "Eng")
        #expect(try t.vault.authenticate(token: first.token).workspace == "eng")
        #expect(try t.vault.workspaceTokens(workspace: "eng")[0].lastUsedAt != nil)

        let expiring = try t.vault.createWorkspaceToken(workspace: "eng", name: "ci", featureSets: [], ttl: 60)
        #expect(try t.vault.authenticate(token: expiring.token).name == "ci")
        let now = t.vault.clock()
        t.vault.clock = { now + 61 }
        expectRefused { _ = try t.vault.authenticate(token: expiring.token) }

        try t.vault.revokeWorkspaceToken(workspace: "eng", name: "default")
        expectRefused { _ = try t.vault.authenticate(token: first.token) }
        expectRefused { _ = try t.vault.authenticate(token: secret("mwt_" + String(repeating: "A", count: 43))) }
        expectRefused { _ = try t.vault.authenticate(token: secret("not-a-token")) }
        let failures = try t.vault.auditEntries(workspace: nil).filter { $0.event == "token.failed" }
        #expect(failures.count == 4)
    }

    @Test func clientsHoldGrantsInSeveralWorkspaces() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createWorkspace(name: "Ops")
        try t.vault.createFeatureSet(
            FeatureSet(name: "read-only", allow: ["*__get_*"], deny: ["*__delete_*"]), workspace: "ops")
        let client = try t.vault.createClient(name: "cursor", ttl: nil)
        try t.vault.grant(client: "cursor", workspace: "eng", featureSets: [])
        try t.vault.grant(client: "cursor", workspace: "ops", featureSets: ["read-only"])
        let listed = try t.vault.clients()
        #expect(listed.count == 1)
        #expect(
            listed[0].grants == [
                Grant(workspace: "eng", featureSets: ["all"]), Grant(workspace: "ops", featureSets: ["read-only"]),
            ])
        #expect(try t.vault.authenticate(token: client.token).kind == .client)
        try t.vault.revokeGrant(client: "cursor", workspace: "eng")
        #expect(try t.vault.clients()[0].grants.map(\.workspace) == ["ops"])
        // A FeatureSet in use cannot be deleted out from under a grant.
        #expect(throws: VaultError.self) { try t.vault.deleteFeatureSet(name: "read-only", workspace: "ops") }
        try t.vault.deleteClient(name: "cursor")
        try t.vault.deleteFeatureSet(name: "read-only", workspace: "ops")
        expectRefused { _ = try t.vault.authenticate(token: client.token) }
    }

    @Test func grantsNameOnlyExistingFeatureSets() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createClient(name: "cursor", ttl: nil)
        expectVaultError(.notFound) { try t.vault.grant(client: "cursor", workspace: "eng", featureSets: ["nope"]) }
    }

    @Test func theFirstWorkspaceBecomesActiveAndUseSwitches() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createWorkspace(name: "Ops")
        #expect(try t.vault.workspace(nil).slug == "eng")
        try t.vault.useWorkspace("ops")
        #expect(try t.vault.workspaces().filter(\.isActive).map(\.slug) == ["ops"])
        try t.vault.deleteWorkspace("ops")
        #expect(throws: VaultError.self) { _ = try t.vault.workspace(nil) }
    }

    @Test func defaultEnabledServersAppearInEveryWorkspace() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "Eng")
        _ = try t.vault.createWorkspace(name: "Ops")
        try t.vault.addServer(
            ServerDefinition(slug: "fs", transport: .stdio(command: "fs-mcp", args: []), defaultEnabled: true))
        try t.vault.addServer(
            ServerDefinition(
                slug: "github",
                transport: .http(
                    url: "https://example.invalid/mcp", headers: [.init(name: "Authorization", value: "Bearer ${GH}")]))
        )
        try t.vault.install(server: "github", workspace: "eng")
        #expect(try t.vault.installedServers(workspace: "eng").1.map(\.definition.slug) == ["fs", "github"])
        #expect(try t.vault.installedServers(workspace: "ops").1.map(\.viaDefault) == [true])
        try t.vault.removeServer("github")
        #expect(try t.vault.installedServers(workspace: "eng").1.map(\.definition.slug) == ["fs"])
    }

    @Test func everyConfigurationChangeMovesTheGenerationButTokenUseDoesNot() throws {
        let t = try TestVault()
        let start = try t.vault.generation()
        let (_, issued) = try t.vault.createWorkspace(name: "Eng")
        try t.vault.useWorkspace("eng")
        #expect(try t.vault.generation() == start + 2)
        _ = try t.vault.authenticate(token: issued.token)
        expectRefused { _ = try t.vault.authenticate(token: secret("mwt_nope")) }
        #expect(try t.vault.generation() == start + 2)
    }

    @Test func initRefusesADirectoryThatAlreadyHoldsFiles() throws {
        let path = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("mine".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        chmod(path, 0o755)
        expectRefused { _ = try SecretVault.create(home: VaultHome(path: path), unlock: .keyFile, actor: "test") }
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o755)
        // An empty existing directory is fine, and is tightened to 0700.
        let empty = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        chmod(empty, 0o755)
        _ = try SecretVault.create(home: VaultHome(path: empty), unlock: .keyFile, actor: "test")
        stat(empty, &info)
        #expect(info.st_mode & 0o777 == 0o700)
    }
}
