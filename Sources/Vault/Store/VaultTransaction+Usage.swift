import Analytics
import GRDB

extension VaultTransaction {
    /// Adds a record's counts to its row (workspace, server, tool, caller, minute), creating the row if needed.
    /// Returns false when the workspace does not exist (any more).
    func addUsage(_ record: UsageRecord) throws -> Bool {
        guard
            let workspaceID = try Int64.fetchOne(
                db, sql: "SELECT id FROM workspaces WHERE slug = ?", arguments: [record.workspace])
        else { return false }
        let key: StatementArguments = [workspaceID, record.server, record.tool, record.caller, record.minute]
        var merged = record
        if let row = try Row.fetchOne(
            db,
            sql: """
                SELECT calls, errors, latency, last_used_at FROM usage
                WHERE workspace_id = ? AND server = ? AND tool = ? AND caller = ? AND minute = ?
                """,
            arguments: key)
        {
            merged.merge(
                UsageRecord(
                    workspace: record.workspace, server: record.server, tool: record.tool, caller: record.caller,
                    minute: record.minute, calls: row["calls"], errors: row["errors"],
                    latency: LatencyHistogram(encoded: row["latency"]) ?? LatencyHistogram(),
                    lastUsedAt: row["last_used_at"]))
        }
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO usage(workspace_id, server, tool, caller, minute, calls, errors, latency,
                    last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: key + [merged.calls, merged.errors, merged.latency.encoded, merged.lastUsedAt])
        return true
    }

    func deleteUsage(before minute: Int64) throws {
        try db.execute(sql: "DELETE FROM usage WHERE minute < ?", arguments: [minute])
    }

    /// Rows from `minute` on, of one workspace or all.
    func usage(workspace: String?, since minute: Int64) throws -> [UsageRecord] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT w.slug, u.server, u.tool, u.caller, u.minute, u.calls, u.errors, u.latency, u.last_used_at
                FROM usage u JOIN workspaces w ON w.id = u.workspace_id
                WHERE u.minute >= ? AND (? IS NULL OR w.slug = ?)
                ORDER BY w.slug, u.server, u.tool, u.caller, u.minute
                """,
            arguments: [minute, workspace, workspace]
        ).map { row in
            UsageRecord(
                workspace: row["slug"], server: row["server"], tool: row["tool"], caller: row["caller"],
                minute: row["minute"], calls: row["calls"], errors: row["errors"],
                latency: LatencyHistogram(encoded: row["latency"]) ?? LatencyHistogram(),
                lastUsedAt: row["last_used_at"])
        }
    }
}
