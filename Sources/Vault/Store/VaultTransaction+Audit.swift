import Foundation
import GRDB

extension VaultTransaction {
    func insertAuditEntry(_ entry: AuditEntry, hash: [UInt8]) throws {
        try db.execute(
            sql:
                "INSERT INTO audit(seq, at, actor, event, workspace, target, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                entry.seq, entry.at, entry.actor, entry.event, entry.workspace, entry.target, entry.detail, Data(hash),
            ])
    }

    func lastAuditEntry() throws -> (entry: AuditEntry, hash: [UInt8])? {
        try Row.fetchOne(db, sql: "SELECT * FROM audit ORDER BY seq DESC LIMIT 1").map(Self.auditRow)
    }

    func auditEntriesWithHashes() throws -> [(entry: AuditEntry, hash: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq").map(Self.auditRow)
    }

    func auditEntries(workspace: String?, limit: Int?) throws -> [AuditEntry] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM (SELECT * FROM audit WHERE ? IS NULL OR workspace = ? ORDER BY seq DESC LIMIT ?)
                ORDER BY seq
                """,
            arguments: [workspace, workspace, limit ?? -1]
        ).map { Self.auditRow($0).entry }
    }

    private static func auditRow(_ row: Row) -> (entry: AuditEntry, hash: [UInt8]) {
        let entry = AuditEntry(
            seq: row["seq"], at: row["at"], actor: row["actor"], event: row["event"], workspace: row["workspace"],
            target: row["target"], detail: row["detail"])
        return (entry, [UInt8](row["hash"] as Data))
    }
}
