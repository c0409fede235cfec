import Foundation
import GRDB

/// Tokens, client grants and FeatureSets.
extension VaultTransaction {
    func insertToken(
        kind: TokenInfo.Kind, workspaceID: Int64?, name: String, hash: [UInt8], featureSets: [String],
        expiresAt: Int64?, now: Int64
    ) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO tokens(kind, workspace_id, name, hash, featuresets, created_at, expires_at, audit_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                kind.rawValue, workspaceID, name, Data(hash), Self.encodeJSON(featureSets), now, expiresAt, auditSeq,
            ])
        return db.lastInsertedRowID
    }

    func tokens(where condition: String, _ arguments: StatementArguments = []) throws -> [TokenInfo] {
        try tokensWithHashes(where: condition, arguments).map(\.info)
    }

    /// Tokens with their stored hashes, for the gateway snapshot.
    func tokensWithHashes(where condition: String, _ arguments: StatementArguments = []) throws -> [(
        info: TokenInfo, hash: [UInt8]
    )] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT t.*, w.slug FROM tokens t LEFT JOIN workspaces w ON w.id = t.workspace_id
                WHERE \(condition) ORDER BY t.name
                """,
            arguments: arguments
        ).map { (try Self.tokenInfo($0), [UInt8]($0["hash"] as Data)) }
    }

    /// Looks a token up by its keyed hash; the caller compares the hash again in constant time.
    func token(hash: [UInt8]) throws -> (info: TokenInfo, hash: [UInt8])? {
        let row = try Row.fetchOne(
            db,
            sql: "SELECT t.*, w.slug FROM tokens t LEFT JOIN workspaces w ON w.id = t.workspace_id WHERE t.hash = ?",
            arguments: [Data(hash)])
        return try row.map { (try Self.tokenInfo($0), [UInt8]($0["hash"] as Data)) }
    }

    func revokeToken(id: Int64, now: Int64) throws {
        try db.execute(
            sql: "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [now, id])
    }

    func touchToken(id: Int64, now: Int64) throws {
        try db.execute(sql: "UPDATE tokens SET last_used_at = ? WHERE id = ?", arguments: [now, id])
    }

    func deleteToken(id: Int64) throws {
        try db.execute(sql: "DELETE FROM tokens WHERE id = ?", arguments: [id])
    }

    private static func tokenInfo(_ row: Row) throws -> TokenInfo {
        TokenInfo(
            id: row["id"], kind: TokenInfo.Kind(rawValue: row["kind"]) ?? .workspace, name: row["name"],
            workspace: row["slug"], featureSets: try decodeJSON([String].self, row["featuresets"]),
            createdAt: row["created_at"], expiresAt: row["expires_at"], revokedAt: row["revoked_at"],
            lastUsedAt: row["last_used_at"])
    }

    // Grants.

    func upsertGrant(tokenID: Int64, workspaceID: Int64, featureSets: [String], now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO grants(token_id, workspace_id, featuresets, granted_at, audit_seq) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT DO UPDATE SET featuresets = excluded.featuresets, granted_at = excluded.granted_at,
                    audit_seq = excluded.audit_seq
                """,
            arguments: [tokenID, workspaceID, Self.encodeJSON(featureSets), now, auditSeq])
    }

    func deleteGrant(tokenID: Int64, workspaceID: Int64) throws -> Bool {
        try db.execute(
            sql: "DELETE FROM grants WHERE token_id = ? AND workspace_id = ?", arguments: [tokenID, workspaceID])
        return db.changesCount > 0
    }

    func grants(tokenID: Int64) throws -> [Grant] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT w.slug, g.featuresets FROM grants g JOIN workspaces w ON w.id = g.workspace_id
                WHERE g.token_id = ? ORDER BY w.slug
                """,
            arguments: [tokenID]
        ).map { Grant(workspace: $0["slug"], featureSets: try Self.decodeJSON([String].self, $0["featuresets"])) }
    }

    // FeatureSets.

    func insertFeatureSet(_ set: FeatureSet, workspaceID: Int64, now: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO featuresets(workspace_id, name, allow, deny, created_at, audit_seq) VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [workspaceID, set.name, Self.encodeJSON(set.allow), Self.encodeJSON(set.deny), now, auditSeq])
    }

    func featureSets(workspaceID: Int64) throws -> [FeatureSet] {
        try Row.fetchAll(
            db, sql: "SELECT name, allow, deny FROM featuresets WHERE workspace_id = ? ORDER BY name",
            arguments: [workspaceID]
        ).map {
            FeatureSet(
                name: $0["name"], allow: try Self.decodeJSON([String].self, $0["allow"]),
                deny: try Self.decodeJSON([String].self, $0["deny"]))
        }
    }

    func deleteFeatureSet(name: String, workspaceID: Int64) throws {
        try db.execute(
            sql: "DELETE FROM featuresets WHERE workspace_id = ? AND name = ?", arguments: [workspaceID, name])
    }

    /// Names of the tokens and clients in this workspace whose access lists the FeatureSet. Revoked ones are left
    /// out: they allow nothing any more, and revoking is what the refusal tells the user to do.
    func featureSetUsers(name: String, workspaceID: Int64) throws -> [String] {
        let tokenUsers = try Row.fetchAll(
            db, sql: "SELECT name, featuresets FROM tokens WHERE workspace_id = ? AND revoked_at IS NULL",
            arguments: [workspaceID]
        ).filter { try Self.decodeJSON([String].self, $0["featuresets"]).contains(name) }.map { "token " + $0["name"] }
        let grantUsers = try Row.fetchAll(
            db,
            sql:
                """
                SELECT t.name, g.featuresets FROM grants g JOIN tokens t ON t.id = g.token_id
                WHERE g.workspace_id = ? AND t.revoked_at IS NULL
                """,
            arguments: [workspaceID]
        ).filter { try Self.decodeJSON([String].self, $0["featuresets"]).contains(name) }.map { "client " + $0["name"] }
        return tokenUsers + grantUsers
    }
}
