import Foundation
import GRDB
import Glibc

/// The one owner of the vault database. No other type sees SQL.
///
/// Every connection runs WAL with `synchronous=FULL`, `secure_delete` and foreign keys; every write is a
/// `BEGIN IMMEDIATE` transaction that also bumps the change generation (which the broker watches).
final class VaultStore: Sendable {
    private let queue: DatabaseQueue
    let path: String
    static let busyTimeoutSeconds = 10
    static let checkpointWaitMilliseconds = 1500

    /// Opens (creating when `create`) the database and migrates it forward.
    init(path: String, create: Bool) throws(VaultError) {
        self.path = path
        if !create && access(path, F_OK) != 0 {
            throw VaultError(.notFound, "no vault at \(path)", remedy: "run `sealgate init` first")
        }
        var config = Configuration()
        config.busyMode = .timeout(TimeInterval(Self.busyTimeoutSeconds))
        // Set by hand rather than with `config.journalMode = .wal`, which also lowers `synchronous` to NORMAL:
        // the vault wants every commit fsynced.
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            let migrator = Schema.migrator
            let superseded = try queue.read { try migrator.hasBeenSuperseded($0) }
            guard !superseded else {
                throw VaultError(
                    .refused, "the vault at \(path) was written by a newer sealgate", remedy: "upgrade sealgate")
            }
            try migrator.migrate(queue)
        } catch let error as VaultError {
            throw error
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `body` in a read transaction.
    func read<T>(_ body: (VaultTransaction) throws -> T) throws(VaultError) -> T {
        do {
            return try queue.read { db in try body(VaultTransaction(db: db)) }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it.
    func write<T>(bumpGeneration: Bool = true, _ body: (VaultTransaction) throws -> T) throws(VaultError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    let transaction = VaultTransaction(db: db)
                    result = try body(transaction)
                    if bumpGeneration { try transaction.bumpGeneration() }
                    return .commit
                }
                return result!
            }
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    /// Moves every WAL page into the database and truncates the WAL, so that pages freed (and zeroed by
    /// `secure_delete`) do not linger in the WAL file. Run after destroying secrets or keys.
    ///
    /// Returns false when another connection's read transaction kept the checkpoint from finishing (after the busy
    /// timeout): the freed pages then stay in the WAL until a later checkpoint succeeds.
    @discardableResult
    func checkpointAndTruncate() throws(VaultError) -> Bool {
        do {
            return try queue.writeWithoutTransaction { db in
                // Readers are short-lived; wait for them a little, not the full write timeout.
                try db.execute(sql: "PRAGMA busy_timeout = \(Self.checkpointWaitMilliseconds)")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Self.busyTimeoutSeconds * 1000)") }
                let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return (row?[0] as Int?) == 0
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return false
        } catch {
            throw Self.translate(error, path: path)
        }
    }

    private static func translate(_ error: any Error, path: String) -> VaultError {
        if let error = error as? VaultError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return .integrity("the vault database \(path)")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return VaultError(.refused, "the vault is busy", remedy: "try again in a moment")
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
                return VaultError(.refused, "cannot open the vault database \(path)", remedy: "check its permissions")
            default:
                // SQLite's message never holds bound values (only statement text with `?` placeholders).
                return VaultError(.internalFailure, "vault database error: \(error.message ?? "\(error.resultCode)")")
            }
        }
        return VaultError(.internalFailure, "vault database error: \(error)")
    }
}
