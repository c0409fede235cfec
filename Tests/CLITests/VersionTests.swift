import Foundation
import GRDB
import Testing

/// `sealgate --version` (issue 17): the release and the vault schema this build writes, as every CLI does.
struct VersionTests {
    @Test func versionPrintsTheReleaseAndTheSchemaItWrites() throws {
        let cli = try SealgateCLI()
        let result = try cli.run(["--version"])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(result.output)")
        let match = try #require(
            result.stdout.wholeMatch(of: /sealgate (\d+\.\d+\.\d+) \(vault schema (\d+)\)\n/), "\(result.stdout)")

        // The schema it names is the one a vault it creates has: one migration per version.
        try cli.ok(["init"])
        let migrations = try DatabaseQueue(path: cli.home + "/vault.db").read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations")
        }
        #expect(migrations == Int(match.2))
    }
}
