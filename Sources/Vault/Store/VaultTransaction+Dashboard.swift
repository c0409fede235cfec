import Foundation
import GRDB

/// The dashboard's one-time login links.
extension VaultTransaction {
    func insertDashboardLink(hash: [UInt8], expiresAt: Int64) throws {
        try db.execute(
            sql: "INSERT INTO dashboard_links(hash, expires_at) VALUES (?, ?)", arguments: [Data(hash), expiresAt])
    }

    func hasDashboardLink(hash: [UInt8], usableAt now: Int64) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT 1 FROM dashboard_links WHERE hash = ? AND expires_at > ?", arguments: [Data(hash), now])
            ?? false
    }

    /// Deletes the link with this hash if it is still usable at `now`; whether it was.
    func deleteDashboardLink(hash: [UInt8], usableAt now: Int64) throws -> Bool {
        try db.execute(
            sql: "DELETE FROM dashboard_links WHERE hash = ? AND expires_at > ?", arguments: [Data(hash), now])
        return db.changesCount == 1
    }

    func deleteExpiredDashboardLinks(now: Int64) throws {
        try db.execute(sql: "DELETE FROM dashboard_links WHERE expires_at <= ?", arguments: [now])
    }
}
