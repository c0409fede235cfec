import Foundation
import Testing

@testable import Vault

/// Another local user must not be able to put a home, key or vault in our way. As root, `chown` to `nobody`
/// (65534) plays that user; the symbolic link and mode cases need no privilege.
struct OwnershipTests {
    static let otherUID: uid_t = 65534

    func expectRefusedOpen(
        _ t: TestVault, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try t.reopen()
            Issue.record("the vault opened", sourceLocation: sourceLocation)
        } catch let error as VaultError {
            #expect(error.code == .refused, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
            #expect(error.remedy != nil, sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(.enabled(if: geteuid() == 0), arguments: ["", "/key", "/vault.db"])
    func aHomeKeyOrVaultOfAnotherUserIsRefused(_ file: String) throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "eng")
        #expect(chown(t.home.path + file, Self.otherUID, Self.otherUID) == 0)
        expectRefusedOpen(t, mentioning: "belongs to uid 65534")
    }

    @Test(.enabled(if: geteuid() == 0)) func aWALOfAnotherUserIsRefused() throws {
        let t = try TestVault()
        _ = try t.vault.createWorkspace(name: "eng")
        #expect(FileManager.default.fileExists(atPath: t.home.databasePath + "-wal"))
        #expect(chown(t.home.databasePath + "-wal", Self.otherUID, Self.otherUID) == 0)
        expectRefusedOpen(t, mentioning: "belongs to uid 65534")
    }

    @Test(arguments: [0o770, 0o702, 0o777, 0o720])
    func aHomeOthersCanWriteIsRefused(_ mode: Int) throws {
        let t = try TestVault()
        #expect(chmod(t.home.path, mode_t(mode)) == 0)
        expectRefusedOpen(t, mentioning: "writable by other users")
    }

    @Test func aHomeOthersCanOnlyReadOpens() throws {
        let t = try TestVault()
        #expect(chmod(t.home.path, 0o755) == 0)
        _ = try t.reopen()
    }

    @Test func aVaultDatabaseOthersCanWriteIsRefused() throws {
        let t = try TestVault()
        #expect(chmod(t.home.databasePath, 0o622) == 0)
        expectRefusedOpen(t, mentioning: "writable by other users")
    }

    @Test func aHomeThatIsASymbolicLinkIsRefused() throws {
        let t = try TestVault()
        let link = try TemporaryDirectory.make() + "/home"
        defer { try? FileManager.default.removeItem(atPath: (link as NSString).deletingLastPathComponent) }
        #expect(symlink(t.home.path, link) == 0)
        do {
            _ = try SecretVault.open(home: VaultHome(path: link), actor: "test") { () throws(VaultError) in
                throw VaultError(.refused, "no passphrase in this test")
            }
            Issue.record("a home reached through a symbolic link opened")
        } catch {
            #expect(error.code == .refused && error.message.contains("symbolic link"), "\(error)")
        }
    }

    @Test(arguments: ["/key", "/vault.db"])
    func aKeyOrVaultThatIsASymbolicLinkIsRefused(_ file: String) throws {
        let t = try TestVault()
        let elsewhere = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        let path = t.home.path + file
        #expect(rename(path, elsewhere + file) == 0)
        #expect(symlink(elsewhere + file, path) == 0)
        expectRefusedOpen(t, mentioning: "symbolic link")
    }

    @Test(.enabled(if: geteuid() == 0)) func initRefusesAnEmptyDirectoryOfAnotherUser() throws {
        let path = try TemporaryDirectory.make()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(chown(path, Self.otherUID, Self.otherUID) == 0)
        expectRefused { _ = try SecretVault.create(home: VaultHome(path: path), unlock: .keyFile, actor: "test") }
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_uid == Self.otherUID)
        #expect(access(path + "/key", F_OK) != 0)
    }

    @Test func initRefusesASymbolicLinkToAnEmptyDirectory() throws {
        let target = try TemporaryDirectory.make()
        let parent = try TemporaryDirectory.make()
        defer {
            try? FileManager.default.removeItem(atPath: target)
            try? FileManager.default.removeItem(atPath: parent)
        }
        #expect(symlink(target, parent + "/home") == 0)
        expectRefused {
            _ = try SecretVault.create(home: VaultHome(path: parent + "/home"), unlock: .keyFile, actor: "test")
        }
        #expect(access(target + "/key", F_OK) != 0)
    }

    @Test func aPassphraseVaultInAFreshHomeStillOpens() throws {
        let t = try TestVault(unlock: .passphrase(secret("correct horse")), kdf: .moderate)
        #expect(try t.reopen(passphrase: "correct horse").verifyAudit() == 1)
    }
}
