import Foundation
import GRDB
import Testing

/// The audit log through the built binary: a log cut back to an old head, and a vault rolled back past a head
/// kept elsewhere.
struct AuditHeadTests {
    func tamper(_ cli: SealgateCLI, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: cli.home + "/vault.db")
        try queue.writeWithoutTransaction { try body($0) }
    }

    func vault() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        try cli.ok(["secrets", "set", "github", "TOKEN", "--workspace", "eng"], stdin: "gh-value")
        return cli
    }

    @Test func aLogCutBackToAnOldHeadFailsVerification() throws {
        let cli = try vault()
        let (seq, head) = try DatabaseQueue(path: cli.home + "/vault.db").read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit")!,
                try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'audit_head'")!
            )
        }
        let created = try cli.ok(["workspace", "token", "create", "eng", "--name", "ci-runner"])
        #expect(SealgateCLI.token(in: created) != nil)
        try tamper(cli) { db in
            try db.execute(sql: "DELETE FROM audit WHERE seq > ?", arguments: [seq])
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'audit_head'", arguments: [head])
        }
        #expect(try cli.ok(["workspace", "token", "list", "eng"]).contains("ci-runner"))
        let error = try cli.fails(5, ["audit", "verify"])
        #expect(error.contains("token ci-runner in eng"), "\(error)")
        try cli.fails(5, ["audit", "head"])
    }

    @Test func aVaultRolledBackPastARecordedHeadFailsVerificationAgainstIt() throws {
        let cli = try vault()
        let early = try cli.ok(["audit", "head"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let backup = try cli.vaultFileBytes(named: "vault.db")
        try cli.ok(["workspace", "token", "create", "eng", "--name", "ci-runner"])
        let late = try cli.ok(["audit", "head"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(early != late && late.hasPrefix("\(Int(early.prefix { $0 != ":" })! + 1):"))
        #expect(try cli.ok(["audit", "verify", "--head", early]).contains("reaches the recorded head"))
        #expect(try cli.ok(["audit", "verify"]).contains("head \(late)"))

        // The whole file replaced by the older copy: consistent in itself, so only the recorded head can tell.
        try backup.write(to: URL(fileURLWithPath: cli.home + "/vault.db"))
        #expect(!(try cli.ok(["workspace", "token", "list", "eng"]).contains("ci-runner")))
        try cli.ok(["audit", "verify"])
        try cli.ok(["audit", "verify", "--head", early])
        let error = try cli.fails(5, ["audit", "verify", "--head", late])
        #expect(error.contains("before the recorded head"), "\(error)")
    }

    @Test func aMalformedHeadIsAUsageError() throws {
        let cli = try vault()
        try cli.fails(64, ["audit", "verify", "--head", "12:xyz"])
    }
}

extension SealgateCLI {
    /// The bytes of one file of the vault home.
    func vaultFileBytes(named name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: home + "/" + name))
    }
}
