import Foundation
import GRDB

extension VaultTransaction {
    /// The current version of a secret, or nil when it does not exist.
    func currentSecretVersion(workspaceID: Int64, server: String, name: String) throws -> Int64? {
        try Int64.fetchOne(
            db, sql: "SELECT current_version FROM secrets WHERE workspace_id = ? AND server = ? AND name = ?",
            arguments: [workspaceID, server, name])
    }

    func latestSecretVersion(workspaceID: Int64, server: String, name: String) throws -> Int64 {
        try Int64.fetchOne(
            db, sql: "SELECT max(version) FROM secret_versions WHERE workspace_id = ? AND server = ? AND name = ?",
            arguments: [workspaceID, server, name]) ?? 0
    }

    func sealedSecret(workspaceID: Int64, server: String, name: String, version: Int64) throws -> [UInt8]? {
        try Data.fetchOne(
            db,
            sql:
                "SELECT sealed FROM secret_versions WHERE workspace_id = ? AND server = ? AND name = ? AND version = ?",
            arguments: [workspaceID, server, name, version]
        ).map { [UInt8]($0) }
    }

    /// Adds a version and makes it current, then drops all but the newest `keep` versions.
    /// Returns whether an old version was dropped.
    func insertSecretVersion(
        workspaceID: Int64, server: String, name: String, version: Int64, sealed: [UInt8], actor: String,
        rolledBackFrom: Int64?, keep: Int, now: Int64
    ) throws -> Bool {
        try db.execute(
            sql: """
                INSERT INTO secrets(workspace_id, server, name, current_version, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO UPDATE SET current_version = excluded.current_version, updated_at = excluded.updated_at
                """,
            arguments: [workspaceID, server, name, version, now])
        try db.execute(
            sql: """
                INSERT INTO secret_versions(workspace_id, server, name, version, sealed, created_at, created_by,
                    rolled_back_from, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [workspaceID, server, name, version, Data(sealed), now, actor, rolledBackFrom, auditSeq])
        try db.execute(
            sql: """
                DELETE FROM secret_versions WHERE workspace_id = ? AND server = ? AND name = ? AND version <= ?
                """,
            arguments: [workspaceID, server, name, version - Int64(keep)])
        return db.changesCount > 0
    }

    /// Deletes every secret stored for `server`, in every workspace, with all their versions; returns what went, as
    /// `workspace/name`, sorted.
    func deleteSecrets(server: String) throws -> [String] {
        let names = try String.fetchAll(
            db,
            sql: """
                SELECT coalesce(w.slug, '?') || '/' || s.name FROM secrets s LEFT JOIN workspaces w ON w.id = s.workspace_id
                WHERE s.server = ? ORDER BY 1
                """,
            arguments: [server])
        try db.execute(sql: "DELETE FROM secrets WHERE server = ?", arguments: [server])
        return names
    }

    func deleteSecret(workspaceID: Int64, server: String, name: String) throws -> Bool {
        try db.execute(
            sql: "DELETE FROM secrets WHERE workspace_id = ? AND server = ? AND name = ?",
            arguments: [workspaceID, server, name])
        return db.changesCount > 0
    }

    func secrets(workspaceID: Int64, server: String?) throws -> [SecretInfo] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT s.server, s.name, s.current_version, s.updated_at, count(v.version) AS versions
                FROM secrets s JOIN secret_versions v USING (workspace_id, server, name)
                WHERE s.workspace_id = ? AND (? IS NULL OR s.server = ?)
                GROUP BY s.server, s.name ORDER BY s.server, s.name
                """,
            arguments: [workspaceID, server, server]
        ).map {
            SecretInfo(
                server: $0["server"], name: $0["name"], currentVersion: $0["current_version"],
                versionCount: $0["versions"], updatedAt: $0["updated_at"])
        }
    }

    func secretHistory(workspaceID: Int64, server: String, name: String, current: Int64) throws -> [SecretVersionInfo] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT version, created_at, created_by, rolled_back_from FROM secret_versions
                WHERE workspace_id = ? AND server = ? AND name = ? ORDER BY version DESC
                """,
            arguments: [workspaceID, server, name]
        ).map {
            SecretVersionInfo(
                version: $0["version"], createdAt: $0["created_at"], createdBy: $0["created_by"],
                rolledBackFrom: $0["rolled_back_from"], isCurrent: $0["version"] == current)
        }
    }

    /// Every stored version of the workspace's secrets, for re-sealing under a new data key or verifying.
    func allSecretVersions(workspaceID: Int64) throws -> [(
        server: String, name: String, version: Int64, sealed: [UInt8]
    )] {
        try Row.fetchAll(
            db,
            sql: "SELECT server, name, version, sealed FROM secret_versions WHERE workspace_id = ?",
            arguments: [workspaceID]
        ).map { ($0["server"], $0["name"], $0["version"], [UInt8]($0["sealed"] as Data)) }
    }

    func replaceSealedSecret(workspaceID: Int64, server: String, name: String, version: Int64, sealed: [UInt8]) throws {
        try db.execute(
            sql:
                "UPDATE secret_versions SET sealed = ? WHERE workspace_id = ? AND server = ? AND name = ? AND version = ?",
            arguments: [Data(sealed), workspaceID, server, name, version])
    }
}
