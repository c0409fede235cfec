import Foundation
import GRDB
import Testing

/// Tampering seen through the CLI: always exit 5 with an `error: …` line, never a crash.
struct IntegrityTests {
    func vaultWithSecrets() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["workspace", "create", "Ops"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        for ws in ["eng", "ops"] {
            try cli.ok(["secrets", "set", "github", "TOKEN_A", "--workspace", ws], stdin: "\(ws)-a")
            try cli.ok(["secrets", "set", "github", "TOKEN_B", "--workspace", ws], stdin: "\(ws)-b")
        }
        return cli
    }

    func tamper(_ cli: SealgateCLI, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: cli.home + "/vault.db")
        try queue.writeWithoutTransaction { try body($0) }
    }

    @Test func aFlippedByteExits5() throws {
        let cli = try vaultWithSecrets()
        try tamper(cli) { db in
            var blob = try [UInt8](
                Data.fetchOne(db, sql: "SELECT sealed FROM secret_versions WHERE name = 'TOKEN_A' LIMIT 1")!)
            blob[blob.count / 2] ^= 0x04
            try db.execute(
                sql:
                    "UPDATE secret_versions SET sealed = ? WHERE rowid = (SELECT min(rowid) FROM secret_versions WHERE name = 'TOKEN_A')",
                arguments: [Data(blob)])
        }
        let error = try cli.fails(5, ["secrets", "verify"])
        #expect(error.contains("integrity check failed"))
        try cli.fails(5, ["keys", "rotate", "--workspace", "eng"])
    }

    @Test func swappedCiphertextsExit5() throws {
        let cli = try vaultWithSecrets()
        try tamper(cli) { db in
            try db.execute(
                sql: """
                    UPDATE secret_versions SET sealed = (
                        SELECT s.sealed FROM secret_versions s WHERE s.workspace_id = secret_versions.workspace_id
                        AND s.name != secret_versions.name)
                    """)
        }
        try cli.fails(5, ["secrets", "verify", "--workspace", "eng"])
        try cli.fails(5, ["secrets", "verify", "--workspace", "ops"])
    }

    @Test func dataKeysSwappedBetweenWorkspacesExit5() throws {
        let cli = try vaultWithSecrets()
        try tamper(cli) { db in
            try db.execute(
                sql: """
                    UPDATE data_keys SET sealed = (SELECT d.sealed FROM data_keys d WHERE d.workspace_id != data_keys.workspace_id)
                    """)
        }
        try cli.fails(5, ["secrets", "verify", "--workspace", "eng"])
        try cli.fails(5, ["keys", "rotate"])
    }

    @Test func aWrongMasterKeyExits5() throws {
        let cli = try vaultWithSecrets()
        let keyPath = cli.home + "/key"
        var key = [UInt8](try Data(contentsOf: URL(fileURLWithPath: keyPath)))
        key[20] ^= 0xFF
        try Data(key).write(to: URL(fileURLWithPath: keyPath))
        chmod(keyPath, 0o600)
        let error = try cli.fails(5, ["workspace", "list"])
        #expect(error.contains("wrong key file or passphrase"))
    }

    @Test func anEditedAuditLogExits5() throws {
        let cli = try vaultWithSecrets()
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))
        try tamper(cli) { try $0.execute(sql: "DELETE FROM audit WHERE seq = 3") }
        let error = try cli.fails(5, ["audit", "verify"])
        #expect(error.contains("entry 3 is missing"))
    }

    @Test func aCorruptDatabaseFileExits5() throws {
        let cli = try vaultWithSecrets()
        let path = cli.home + "/vault.db"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 0..<16 { bytes[i] = 0x42 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try cli.fails(5, ["workspace", "list"])
    }
}
