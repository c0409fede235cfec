import Foundation
import GRDB

/// The SQL of the vault, one intent per method, run inside a transaction that `VaultStore` opened.
struct VaultTransaction {
    let db: Database
    /// The sequence number the audit entry of this write will get, written into the `audit_seq` of each row it
    /// creates (`AuditLinks`). Nil outside an audited write.
    var auditSeq: Int64? = nil

    // Metadata: a key/value table for the vault's settings and its sealed root.

    func meta(_ key: String) throws -> DatabaseValue? {
        try Row.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])?["value"]
    }

    func metaInt(_ key: String) throws -> Int64? {
        try meta(key).flatMap { Int64.fromDatabaseValue($0) }
    }

    func metaBlob(_ key: String) throws -> [UInt8]? {
        try meta(key).flatMap { Data.fromDatabaseValue($0) }.map { [UInt8]($0) }
    }

    func metaString(_ key: String) throws -> String? {
        try meta(key).flatMap { String.fromDatabaseValue($0) }
    }

    func setMeta(_ key: String, _ value: (any DatabaseValueConvertible)?) throws {
        if let value {
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }

    func setMeta(_ key: String, blob: [UInt8]) throws {
        try setMeta(key, Data(blob))
    }

    /// Increments the change counter; the broker reloads when it moves.
    func bumpGeneration() throws {
        try db.execute(
            sql: """
                INSERT INTO meta(key, value) VALUES ('generation', 1)
                ON CONFLICT(key) DO UPDATE SET value = value + 1
                """)
    }

    func generation() throws -> Int64 {
        try metaInt("generation") ?? 0
    }

    // Data keys.

    func insertDataKey(workspaceID: Int64, term: UInt32, sealed: [UInt8], now: Int64) throws {
        try db.execute(
            sql: "INSERT INTO data_keys(workspace_id, term, sealed, created_at) VALUES (?, ?, ?, ?)",
            arguments: [workspaceID, Int64(term), Data(sealed), now])
    }

    func dataKey(workspaceID: Int64, term: UInt32) throws -> [UInt8]? {
        try Data.fetchOne(
            db, sql: "SELECT sealed FROM data_keys WHERE workspace_id = ? AND term = ?",
            arguments: [workspaceID, Int64(term)]
        ).map { [UInt8]($0) }
    }

    /// Every wrapped data key, for re-wrapping under a new key-encryption key.
    func allDataKeys() throws -> [(workspaceID: Int64, term: UInt32, sealed: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT workspace_id, term, sealed FROM data_keys").map {
            ($0["workspace_id"], UInt32(truncatingIfNeeded: $0["term"] as Int64), [UInt8]($0["sealed"] as Data))
        }
    }

    func replaceDataKey(workspaceID: Int64, term: UInt32, sealed: [UInt8]) throws {
        try db.execute(
            sql: "UPDATE data_keys SET sealed = ? WHERE workspace_id = ? AND term = ?",
            arguments: [Data(sealed), workspaceID, Int64(term)])
    }

    func deleteDataKeys(workspaceID: Int64, except term: UInt32) throws {
        try db.execute(
            sql: "DELETE FROM data_keys WHERE workspace_id = ? AND term != ?", arguments: [workspaceID, Int64(term)])
    }

    // JSON columns hold lists of plain strings (args, globs, FeatureSet names, header and env pairs).

    static func encodeJSON<T: Encodable>(_ value: T) -> String {
        // Encoding [String] or [[String]] cannot fail.
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw VaultError.integrity("a stored list (not valid JSON)")
        }
    }
}
