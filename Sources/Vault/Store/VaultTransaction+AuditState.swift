import Foundation
import GRDB

/// What the audit head binds besides the chain: the vault's security-relevant rows, and their links to the log.
extension VaultTransaction {
    /// The rows the audit head covers, each query in a fixed order: every column that changes only through an
    /// audited write. Left out: the generation, the head itself, a token's `last_used_at` (moved by every use,
    /// which is not audited) and analytics.
    private static let stateQueries: [(table: String, sql: String)] = [
        (
            "meta",
            "SELECT key, value FROM meta WHERE key NOT IN ('generation', 'audit_head', 'audit_head_version') ORDER BY key"
        ),
        ("workspaces", "SELECT id, slug, name, dek_term, created_at, audit_seq FROM workspaces ORDER BY id"),
        ("data_keys", "SELECT workspace_id, term, sealed, created_at FROM data_keys ORDER BY workspace_id, term"),
        (
            "servers",
            """
            SELECT slug, transport, command, args, url, headers, env, default_enabled, shared, created_at, audit_seq
            FROM servers ORDER BY slug
            """
        ),
        (
            "installations",
            "SELECT workspace_id, server, installed_at, audit_seq FROM installations ORDER BY workspace_id, server"
        ),
        (
            "secrets",
            "SELECT workspace_id, server, name, current_version, updated_at FROM secrets ORDER BY workspace_id, server, name"
        ),
        (
            "secret_versions",
            """
            SELECT workspace_id, server, name, version, sealed, created_at, created_by, rolled_back_from, audit_seq
            FROM secret_versions ORDER BY workspace_id, server, name, version
            """
        ),
        (
            "tokens",
            """
            SELECT id, kind, workspace_id, name, hash, featuresets, created_at, expires_at, revoked_at, audit_seq
            FROM tokens ORDER BY id
            """
        ),
        (
            "grants",
            "SELECT token_id, workspace_id, featuresets, granted_at, audit_seq FROM grants ORDER BY token_id, workspace_id"
        ),
        (
            "featuresets",
            "SELECT workspace_id, name, allow, deny, created_at, audit_seq FROM featuresets ORDER BY workspace_id, name"
        ),
    ]

    /// Rows added to the head after vaults existed: a section is encoded only when it has rows, so a vault without
    /// any keeps the head it had, and a row set (or changed) by hand afterwards is still caught.
    private static let laterStateQueries: [(table: String, sql: String)] = [
        // A server's OAuth client and scopes (schema v5): which client a login presents its secret for.
        ("servers.oauth", "SELECT slug, oauth FROM servers WHERE oauth IS NOT NULL ORDER BY slug")
    ]

    /// An unambiguous encoding of every row the head covers: each table's name and row count, then each value
    /// with its storage class and length. Nothing secret: only ciphertexts, keyed token hashes and metadata.
    func auditedState() throws -> [UInt8] {
        var out: [UInt8] = []
        let later = try Self.laterStateQueries.filter { try Row.fetchOne(db, sql: $0.sql) != nil }
        for (table, sql) in Self.stateQueries + later {
            out.appendField(table)
            let rows = try Row.fetchAll(db, sql: sql)
            out.appendBigEndian(Int64(rows.count))
            for row in rows {
                for value in row.databaseValues {
                    switch value.storage {
                    case .null:
                        out.append(0)
                    case .int64(let int):
                        out.append(1)
                        out.appendBigEndian(int)
                    case .double(let double):
                        out.append(2)
                        out.appendBigEndian(Int64(bitPattern: double.bitPattern))
                    case .string(let string):
                        let utf8 = Array(string.utf8)
                        out.append(3)
                        out.appendBigEndian(Int64(utf8.count))
                        out.append(contentsOf: utf8)
                    case .blob(let data):
                        out.append(4)
                        out.appendBigEndian(Int64(data.count))
                        out.append(contentsOf: data)
                    }
                }
            }
        }
        return out
    }

    /// The rows (named, never with values) whose `audit_seq` does not name an entry that creates them: added
    /// outside Sealgate, relinked by hand, or created by entries that were cut from the log.
    func rowsWithoutCreatingEntry() throws -> [String] {
        try AuditLinks.rules.flatMap { rule in
            try String.fetchAll(
                db,
                sql: """
                    SELECT coalesce(\(rule.name), 'a row of \(rule.table)') FROM \(rule.table)
                    WHERE NOT EXISTS (SELECT 1 FROM audit a WHERE a.seq = \(rule.table).audit_seq AND \(rule.matches))
                    """)
        }
    }

    /// The sequence number the next audit entry gets.
    func nextAuditSeq() throws -> Int64 {
        (try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit") ?? 0) + 1
    }
}
