import Analytics
import Foundation
import Testing

@testable import Vault

/// The vault keeps analytics beside the configuration without being part of it.
struct UsageTests {
    func record(_ workspace: String, tool: String = "search", minute: Int64, calls: Int, errors: Int = 0)
        -> UsageRecord
    {
        var latency = LatencyHistogram()
        for _ in 0..<calls { latency.record(.milliseconds(5)) }
        return UsageRecord(
            workspace: workspace, server: "gh", tool: tool, caller: "workspace:default", minute: minute, calls: calls,
            errors: errors, latency: latency, lastUsedAt: minute * 60_000 + 5)
    }

    @Test func recordsAddUpPerMinuteWithoutMovingTheGenerationOrTheAuditLog() throws {
        let test = try TestVault()
        _ = try test.workspaceWithServer("eng")
        let generation = try test.vault.generation()
        let audit = try test.vault.auditEntries(workspace: nil, limit: nil).count
        let now = Int64(Date().timeIntervalSince1970) / 60
        #expect(try test.vault.recordUsage([record("eng", minute: now, calls: 2, errors: 1)]) == 1)
        #expect(
            try test.vault.recordUsage([record("eng", minute: now, calls: 3), record("gone", minute: now, calls: 9)])
                == 1)
        #expect(try test.vault.generation() == generation)
        #expect(try test.vault.auditEntries(workspace: nil, limit: nil).count == audit)

        let rows = try test.vault.usage(workspace: "eng", since: (now - 1) * 60_000)
        #expect(rows.count == 1)
        #expect(rows[0].calls == 5 && rows[0].errors == 1 && rows[0].latency.total == 5)
        #expect(try test.vault.usage(since: (now + 1) * 60_000).isEmpty)
        #expect(throws: VaultError.self) { try test.vault.usage(workspace: "gone", since: 0) }
    }

    @Test func oldRowsGoAndADeletedWorkspaceTakesItsRows() throws {
        let test = try TestVault()
        _ = try test.workspaceWithServer("eng")
        let now = Int64(Date().timeIntervalSince1970) / 60
        let tooOld = now - SecretVault.usageRetentionDays * 24 * 60 - 1
        try test.vault.recordUsage([record("eng", minute: tooOld, calls: 1), record("eng", minute: now, calls: 1)])
        #expect(try test.vault.usage(since: 0).map(\.minute) == [now])
        _ = try test.vault.deleteWorkspace("eng")
        #expect(try test.vault.usage(since: 0).isEmpty)
    }
}
