import Foundation
import Testing

/// Bad input gets a clear `error: …` line that says what to do, the contract's exit code, and changes nothing.
struct BadInputTests {
    func readyVault() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "github", "--command", "gh-mcp"])
        return cli
    }

    @Test func noVaultYet() throws {
        let cli = try SealgateCLI()
        let error = try cli.fails(3, ["workspace", "list"])
        #expect(error.contains("run `sealgate init` first"))
    }

    @Test func initOnAnExistingVaultRefusesAndChangesNothing() throws {
        let cli = try readyVault()
        let before = try cli.vaultFileBytes()
        let error = try cli.fails(4, ["init"])
        #expect(error.contains("already exists"))
        try cli.fails(4, ["init", "--passphrase"], env: ["SEALGATE_PASSPHRASE": "x"])
        #expect(try cli.vaultFileBytes() == before)
    }

    @Test func aKeyWithoutADatabaseIsExplainedNotOverwritten() throws {
        let cli = try readyVault()
        for suffix in ["", "-wal", "-shm"] { unlink(cli.home + "/vault.db" + suffix) }
        let error = try cli.fails(4, ["init"])
        #expect(error.contains("an earlier `init` was interrupted"))
        #expect(FileManager.default.fileExists(atPath: cli.home + "/key"))
    }

    @Test func usageErrorsExit64AndPointAtHelp() throws {
        let cli = try readyVault()
        for args in [
            ["--bogus"], ["workspace", "frobnicate"], ["secrets", "set", "github"], ["workspace", "list", "--nope"],
        ] {
            let error = try cli.fails(64, args)
            #expect(error.contains("--help"), "\(args): \(error)")
        }
        try cli.fails(64, ["workspace", "token", "create", "eng", "--name", "t", "--ttl", "10 minutes"])
        try cli.fails(64, ["workspace", "token", "create", "eng", "--name", "t", "--ttl", "5w"])
        try cli.fails(64, ["server", "add", "x", "--command", "a", "--url", "http://h"])
        try cli.fails(64, ["server", "add", "x"])
        try cli.fails(64, ["server", "add", "x", "--url", "http://h", "--header", "no colon"])
        try cli.fails(64, ["server", "add", "x", "--command", "a", "--env", "NOEQUALS"])
    }

    @Test func unknownNamesExit3AndSayWhereToLook() throws {
        let cli = try readyVault()
        #expect(
            try cli.fails(3, ["mcp", "install", "github", "--workspace", "nope"]).contains("sealgate workspace list"))
        #expect(try cli.fails(3, ["mcp", "install", "nope", "--workspace", "eng"]).contains("sealgate server list"))
        try cli.fails(3, ["secrets", "set", "nope", "TOKEN"], stdin: "value")
        try cli.fails(3, ["secrets", "history", "github", "MISSING"])
        try cli.fails(3, ["secrets", "rollback", "github", "MISSING", "--to", "1"])
        try cli.fails(3, ["workspace", "token", "revoke", "eng", "nope"])
        try cli.fails(3, ["featureset", "show", "nope"])
        try cli.fails(3, ["client", "grant", "nobody", "--workspace", "eng"])
        try cli.fails(3, ["workspace", "delete", "nope", "--yes"])
        try cli.fails(3, ["keys", "rotate", "--workspace", "nope"])
        try cli.ok(["secrets", "set", "github", "TOKEN"], stdin: "v1")
        #expect(try cli.fails(3, ["secrets", "rollback", "github", "TOKEN", "--to", "7"]).contains("secrets history"))
    }

    @Test func badSlugsAndNamesExit64() throws {
        let cli = try readyVault()
        for slug in ["Bad!", "-lead", "UPPER", "two__parts_not_allowed_for_servers", String(repeating: "a", count: 64)]
        {
            try cli.fails(64, ["workspace", "create", "X", "--slug", slug])
        }
        try cli.fails(64, ["server", "add", "git__hub", "--command", "x"])
        try cli.fails(64, ["server", "add", "ok", "--command", "x", "--arg=${bad name}"])
        try cli.fails(64, ["server", "add", "ok", "--url", "ftp://x"])
        try cli.fails(64, ["secrets", "set", "github", "bad-name"], stdin: "v")
        try cli.fails(64, ["workspace", "token", "create", "eng", "--name", "Has Space"])
        try cli.fails(64, ["featureset", "create", "Bad Name"])
    }

    @Test func secretValuesMustBePresentAndNonEmpty() throws {
        let cli = try readyVault()
        let missing = try cli.fails(64, ["secrets", "set", "github", "TOKEN"])
        #expect(missing.contains("pipe the value in"))
        try cli.fails(64, ["secrets", "set", "github", "TOKEN"], stdin: "\n")
        try cli.fails(64, ["secrets", "set", "github", "TOKEN", "--value", ""])
        try cli.fails(64, ["secrets", "set", "github", "TOKEN"], stdin: String(repeating: "x", count: (1 << 20) + 1))
        // One trailing newline is dropped, the rest is kept byte for byte: a value that is itself a newline-led
        // string still counts as set.
        try cli.ok(["secrets", "set", "github", "TOKEN"], stdin: "\nvalue\n\n")
        #expect(try cli.ok(["secrets", "list"]).contains("v1"))
    }

    @Test func duplicatesAreRefusedWithExit4() throws {
        let cli = try readyVault()
        try cli.fails(4, ["workspace", "create", "Eng"])
        try cli.fails(4, ["server", "add", "github", "--command", "x"])
        try cli.fails(4, ["workspace", "token", "create", "eng", "--name", "default"])
        try cli.ok(["client", "create", "cursor"])
        try cli.fails(4, ["client", "create", "cursor"])
        try cli.fails(4, ["featureset", "create", "all"])
    }

    @Test func noActiveWorkspaceSaysHowToPickOne() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        let error = try cli.fails(3, ["mcp", "install", "github"])
        #expect(error.contains("--workspace") && error.contains("workspace use"))
    }
}
