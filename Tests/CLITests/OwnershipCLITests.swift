import Foundation
import Testing

/// The home, key and vault of another user, a symbolic link or a home others can write: exit 4 with what to do.
struct OwnershipCLITests {
    func vault() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        try cli.ok(["secrets", "set", "github", "TOKEN", "--workspace", "eng"], stdin: "gh-value")
        return cli
    }

    @Test(.enabled(if: geteuid() == 0), arguments: ["", "/key", "/vault.db"])
    func aHomeKeyOrVaultOfAnotherUserExits4(_ file: String) throws {
        let cli = try vault()
        #expect(chown(cli.home + file, 65534, 65534) == 0)
        let error = try cli.fails(4, ["secrets", "list"])
        #expect(error.contains("belongs to uid 65534"), "\(error)")
        try cli.fails(4, ["audit", "verify"])
    }

    @Test func aGroupWritableHomeOrALinkedKeyExits4() throws {
        let cli = try vault()
        chmod(cli.home, 0o770)
        let error = try cli.fails(4, ["secrets", "list"])
        #expect(error.contains("chmod 700"), "\(error)")
        chmod(cli.home, 0o700)
        try cli.ok(["secrets", "list"])
        let moved = (cli.home as NSString).deletingLastPathComponent + "/key-elsewhere"
        #expect(rename(cli.home + "/key", moved) == 0)
        #expect(symlink(moved, cli.home + "/key") == 0)
        #expect(try cli.fails(4, ["secrets", "list"]).contains("symbolic link"))
    }

    @Test func initStillWorksInAFreshOrEmptyHomeAndWithAPassphrase() throws {
        let cli = try SealgateCLI()
        try FileManager.default.createDirectory(atPath: cli.home, withIntermediateDirectories: false)
        chmod(cli.home, 0o755)
        try cli.ok(["init", "--passphrase"], env: ["SEALGATE_PASSPHRASE": "a long test passphrase"])
        try cli.ok(["workspace", "create", "Eng"], env: ["SEALGATE_PASSPHRASE": "a long test passphrase"])
        #expect(
            try cli.ok(["audit", "verify"], env: ["SEALGATE_PASSPHRASE": "a long test passphrase"]).contains(
                "chain intact"))
    }
}
