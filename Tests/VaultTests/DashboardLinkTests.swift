import Foundation
import GRDB
import Testing

@testable import Vault

/// The dashboard's one-time links: one use each, a few minutes at most, a keyed hash at rest.
struct DashboardLinkTests {
    @Test func aLinkWorksOnceAndFromAnotherHandleOfTheVault() throws {
        let t = try TestVault()
        let link = try t.vault.createDashboardLink()
        let serving = try t.reopen()  // `serve` redeems what `sealgate dashboard link` made
        #expect(try serving.redeemDashboardLink(link))
        #expect(try !serving.redeemDashboardLink(link))
        #expect(try !t.vault.redeemDashboardLink(link))
    }

    @Test func anExpiredLinkIsRefusedAndSwept() throws {
        let t = try TestVault()
        let link = try t.vault.createDashboardLink(lifetime: 60)
        let now = t.vault.clock()
        t.vault.clock = { now + 60 }
        #expect(try !t.vault.redeemDashboardLink(link))
        _ = try t.vault.createDashboardLink()  // making a link sweeps the expired ones
        #expect(try t.vault.read { try Int.fetchOne($0.db, sql: "SELECT count(*) FROM dashboard_links") } == 1)
    }

    /// An attacker who can read or write the database: it holds no link, and a row they insert opens nothing, since
    /// only the vault's key makes the hash a link is looked up by.
    @Test func theDatabaseHoldsNoLinkAndARowWrittenIntoItOpensNothing() throws {
        let t = try TestVault()
        let link = try t.vault.createDashboardLink()
        let text = link.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text.hasPrefix("mdl_") && text.count == 47)
        let database = try Data(contentsOf: URL(fileURLWithPath: t.vault.home.databasePath))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: t.vault.home.databasePath + "-wal"))) ?? Data()
        #expect(database.range(of: Data(text.utf8)) == nil && wal.range(of: Data(text.utf8)) == nil)

        let forged = SecretValue(unsafeFromString: "mdl_" + String(repeating: "A", count: 43))
        try t.vault.store.write(bumpGeneration: false) { tx in
            try tx.db.execute(
                sql: "INSERT INTO dashboard_links(hash, expires_at) VALUES (?, ?)",
                arguments: [Data(Array(text.utf8)), Int64.max])  // the plain text is not what is looked up
            try tx.db.execute(
                sql: "INSERT INTO dashboard_links(hash, expires_at) VALUES (?, ?)",
                arguments: [Data(Sodium.randomBytes(32)), Int64.max])
        }
        #expect(try !t.vault.redeemDashboardLink(forged))
        #expect(try !t.vault.redeemDashboardLink(SecretValue(unsafeFromString: "mdl_short")))
        #expect(try !t.vault.redeemDashboardLink(SecretValue(unsafeFromString: "mwt_" + String(text.dropFirst(4)))))
        #expect(try t.vault.redeemDashboardLink(link))
    }

    @Test func makingAndUsingALinkIsAuditedWithoutItsValueAndChangesNoConfiguration() throws {
        let t = try TestVault()
        let generation = try t.vault.generation()
        let link = try t.vault.createDashboardLink()
        #expect(try t.vault.redeemDashboardLink(link))
        #expect(try !t.vault.redeemDashboardLink(link))  // a failure is not audited
        #expect(try t.vault.generation() == generation)
        let entries = try t.vault.auditEntries(workspace: nil).filter { $0.event.hasPrefix("dashboard.") }
        #expect(entries.map(\.event) == ["dashboard.link", "dashboard.login"])
        let text = link.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(!entries.contains { ($0.detail ?? "").contains(text.dropFirst(4)) })
        #expect(try t.vault.verifyAudit(against: nil).coversState)
    }
}
