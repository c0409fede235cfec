import Foundation
import Testing

/// Every management command of the contract, run through the built binary, with output and exit codes checked.
@Suite(.serialized)
struct CommandTourTests {
    let secretValues = ["ghp_tour_first_value", "ghp_tour_second_value", "sk-live-tour-api-key"]

    @Test func initAndWorkspaceCreatePrintSlugURLAndToken() throws {
        let cli = try SealgateCLI()
        let initOut = try cli.ok(["init"])
        #expect(initOut.contains("Initialised a vault in \(cli.home)"))
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.home)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        for file in ["key", "vault.db"] {
            let mode =
                try FileManager.default.attributesOfItem(atPath: cli.home + "/" + file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file)")
        }
        let out = try cli.ok(["workspace", "create", "Engineering"])
        #expect(out.contains("Slug:      engineering"))
        #expect(out.contains("URL:       http://127.0.0.1:8787/ws/engineering/mcp"))
        let token = try #require(SealgateCLI.token(in: out))
        #expect(token.count == 47)
        // `--home` before the subcommand works too, and the token is never shown again.
        let list = try cli.ok(["--home", cli.home, "workspace", "list"])
        #expect(list.contains("*  engineering  Engineering"))
        #expect(!list.contains(token))
        let tokens = try cli.ok(["workspace", "token", "list", "engineering"])
        #expect(tokens.contains("default") && tokens.contains("active") && !tokens.contains("mwt_"))
    }

    @Test func theFullTour() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        let eng = try cli.ok(["workspace", "create", "Engineering"])
        let engToken = try #require(SealgateCLI.token(in: eng))
        try cli.ok(["workspace", "create", "Client Alpha", "--slug", "alpha"])

        // Workspaces.
        let workspaces = try cli.json(["workspace", "list", "--json"]) as? [[String: Any]]
        #expect(workspaces?.map { $0["slug"] as? String } == ["alpha", "engineering"])
        #expect(workspaces?.first { $0["active"] as? Bool == true }?["slug"] as? String == "engineering")
        #expect(try cli.ok(["workspace", "use", "alpha"]).contains("Active workspace: alpha"))
        #expect(try cli.ok(["workspace", "list"]).contains("*  alpha"))

        // Tokens.
        let ci = try cli.ok(["workspace", "token", "create", "alpha", "--name", "ci", "--ttl", "2h"])
        let ciToken = try #require(SealgateCLI.token(in: ci))
        #expect(ci.contains("expires"))
        let tokenList = try cli.json(["workspace", "token", "list", "alpha", "--json"]) as? [[String: Any]]
        #expect(tokenList?.map { $0["name"] as? String } == ["ci", "default"])
        #expect(tokenList?.first?["expiresAt"] is String)
        try cli.ok(["workspace", "token", "revoke", "alpha", "ci"])
        #expect(!(try cli.ok(["workspace", "token", "list", "alpha"]).contains("revoked")))  // only with --all
        #expect(try cli.ok(["workspace", "token", "list", "alpha", "--all"]).contains("revoked"))
        try cli.fails(4, ["workspace", "token", "revoke", "alpha", "ci"])

        // Servers and installation.
        try cli.ok([
            "server", "add", "github", "--command", "/usr/bin/github-mcp", "--arg=--token=${GITHUB_TOKEN}",
            "--env", "GH_HOST=github.com",
        ])
        try cli.ok([
            "server", "add", "linear", "--url", "https://mcp.linear.invalid/sse", "--header",
            "Authorization: Bearer ${LINEAR_KEY}", "--shared",
        ])
        try cli.ok(["server", "add", "fs", "--command", "fs-mcp", "--default-enabled"])
        let servers = try cli.json(["server", "list", "--json"]) as? [[String: Any]]
        #expect(servers?.map { $0["slug"] as? String } == ["fs", "github", "linear"])
        #expect(servers?.last?["headers"] as? [String] == ["Authorization: Bearer ${LINEAR_KEY}"])
        #expect(try cli.ok(["server", "list"]).contains("default-enabled"))
        try cli.ok(["mcp", "install", "github", "--workspace", "engineering"])
        try cli.ok(["mcp", "install", "linear"])  // the active workspace: alpha
        let engServers = try cli.ok(["mcp", "list", "--workspace", "engineering"])
        #expect(engServers.contains("github") && engServers.contains("fs") && engServers.contains("default-enabled"))
        #expect(!engServers.contains("linear"))
        let alphaServers = try cli.json(["mcp", "list", "--json"]) as? [[String: Any]]
        #expect(alphaServers?.count == 2)
        try cli.fails(4, ["mcp", "install", "github", "--workspace", "engineering"])
        try cli.ok(["mcp", "remove", "linear", "--workspace", "alpha"])
        try cli.fails(3, ["mcp", "remove", "linear", "--workspace", "alpha"])

        // Secrets: stdin, --value with a warning, history, rollback, rm.
        try cli.ok(
            ["secrets", "set", "github", "GITHUB_TOKEN", "--workspace", "engineering"], stdin: secretValues[0] + "\n")
        let second = try cli.run([
            "secrets", "set", "github", "GITHUB_TOKEN", "--workspace", "engineering", "--value", secretValues[1],
        ])
        #expect(second.status == 0)
        #expect(second.stderr.contains("warning: --value shows the secret in `ps` and shell history"))
        try cli.ok(["secrets", "set", "linear", "LINEAR_KEY", "--workspace", "alpha"], stdin: secretValues[2])
        let listed = try cli.ok(["secrets", "list", "--workspace", "engineering"])
        #expect(listed.contains("GITHUB_TOKEN") && listed.contains("v2"))
        let history =
            try cli.json(["secrets", "history", "github", "GITHUB_TOKEN", "--workspace", "engineering", "--json"])
            as? [[String: Any]]
        #expect(history?.map { $0["version"] as? Int } == [2, 1])
        #expect(
            try cli.ok(["secrets", "rollback", "github", "GITHUB_TOKEN", "--to", "1", "--workspace", "engineering"])
                .contains("version 3, a copy of version 1"))
        #expect(
            try cli.ok(["secrets", "history", "github", "GITHUB_TOKEN", "--workspace", "engineering"]).contains(
                "rollback to v1"))
        #expect(try cli.ok(["secrets", "verify"]).contains("OK: 4 secret versions"))
        try cli.ok(["secrets", "rm", "linear", "LINEAR_KEY", "--workspace", "alpha"])
        try cli.fails(3, ["secrets", "history", "linear", "LINEAR_KEY", "--workspace", "alpha"])

        // FeatureSets.
        try cli.ok([
            "featureset", "create", "readonly", "--workspace", "engineering", "--allow", "github__get_*", "--deny",
            "github__delete_*",
        ])
        let sets = try cli.json(["featureset", "list", "--workspace", "engineering", "--json"]) as? [[String: Any]]
        #expect(sets?.map { $0["name"] as? String } == ["all", "readonly"])
        let shown = try cli.ok(["featureset", "show", "readonly", "--workspace", "engineering"])
        #expect(shown.contains("allow: github__get_*") && shown.contains("deny:  github__delete_*"))
        try cli.ok(["workspace", "token", "create", "engineering", "--name", "reader", "--featureset", "readonly"])
        try cli.fails(4, ["featureset", "delete", "readonly", "--workspace", "engineering"])
        try cli.fails(4, ["featureset", "delete", "all", "--workspace", "engineering"])

        // Clients and grants.
        let client = try cli.ok(["client", "create", "cursor"])
        let clientToken = try #require(SealgateCLI.token(in: client))
        try cli.ok(["client", "grant", "cursor", "--workspace", "engineering", "--featureset", "readonly"])
        try cli.ok(["client", "grant", "cursor", "--workspace", "alpha"])
        let clients = try cli.json(["client", "list", "--json"]) as? [[String: Any]]
        let grants = clients?.first?["grants"] as? [[String: Any]]
        #expect(grants?.map { $0["workspace"] as? String } == ["alpha", "engineering"])
        try cli.ok(["client", "revoke-grant", "cursor", "--workspace", "alpha"])
        #expect(try cli.ok(["client", "list"]).contains("engineering(readonly)"))

        // Keys.
        let rotated = try cli.ok(["keys", "rotate"])
        #expect(rotated.contains("new master key"))
        try cli.ok(["keys", "rotate", "--workspace", "engineering"])
        #expect(try cli.ok(["secrets", "verify"]).contains("OK: 3 secret versions"))

        // Server removal uninstalls everywhere.
        try cli.ok(["server", "remove", "github"])
        #expect(!(try cli.ok(["mcp", "list", "--workspace", "engineering"])).contains("github"))

        // Audit.
        let audit = try cli.ok(["audit"])
        for event in [
            "vault.init", "workspace.create", "token.create", "token.revoke", "secret.set", "secret.rollback",
            "secret.delete", "client.grant", "keys.rotate", "keys.rotate-workspace", "mcp.install",
        ] {
            #expect(audit.contains(event), "audit lacks \(event)")
        }
        let alphaAudit = try cli.json(["audit", "--workspace", "alpha", "--json"]) as? [[String: Any]]
        #expect(alphaAudit?.allSatisfy { $0["workspace"] as? String == "alpha" } == true)
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))

        // Deleting a workspace.
        try cli.fails(4, ["workspace", "delete", "alpha"])
        try cli.ok(["workspace", "delete", "alpha", "--yes"])
        try cli.fails(3, ["workspace", "use", "alpha"])

        // No secret value anywhere: not in any output, not in the audit log, not in the files.
        let files = try cli.vaultFileBytes()
        for value in secretValues {
            #expect(!cli.transcript.contains(value), "a secret value was printed")
            #expect(files.range(of: Data(value.utf8)) == nil, "a secret value is in the vault files")
        }
        // Each token appears exactly once: where it was created.
        for token in [engToken, ciToken, clientToken] {
            #expect(cli.transcript.components(separatedBy: token).count == 2)
            #expect(files.range(of: Data(token.utf8)) == nil)
        }
    }

    @Test func passphraseVaultsUnlockFromAFileOrTheEnvironment() throws {
        let cli = try SealgateCLI()
        let file = cli.home + ".pass"
        try "correct horse battery staple\n".write(toFile: file, atomically: true, encoding: .utf8)
        try cli.ok(["init", "--passphrase", "--passphrase-file", file])
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/key"))
        try cli.ok(["--passphrase-file", file, "workspace", "create", "Eng"])
        let list = try cli.ok(["workspace", "list"], env: ["SEALGATE_PASSPHRASE": "correct horse battery staple"])
        #expect(list.contains("eng"))
        try cli.fails(5, ["workspace", "list"], env: ["SEALGATE_PASSPHRASE": "wrong"])
        let locked = try cli.fails(4, ["workspace", "list"])
        #expect(locked.contains("--passphrase-file"))
        try cli.ok(["keys", "rotate", "--passphrase-file", file])
        try cli.ok(["workspace", "list", "--passphrase-file", file])
    }
}
