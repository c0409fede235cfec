import Foundation
import Testing
import Vault

/// Rotations racing each other and racing readers in other processes: the vault stays openable with every secret.
struct ConcurrentRotationTests {
    @Test func rotationsAndReadersInParallelProcessesNeverLoseTheKey() async throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        for i in 0..<5 { try cli.ok(["secrets", "set", "github", "S\(i)"], stdin: "value-\(i)") }

        let rounds = 12
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<rounds { try cli.runDetached(["keys", "rotate"]) }
                }
            }
            group.addTask {
                for _ in 0..<rounds { try cli.runDetached(["keys", "rotate", "--workspace", "eng"]) }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<(rounds * 3) { try cli.runDetached(["secrets", "list"]) }
                }
            }
            try await group.waitForAll()
        }
        // Some rotations may have been refused as stale (exit 4); none may have broken the vault.
        #expect(try cli.ok(["secrets", "verify"]).contains("OK: 5 secret versions"))
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/key.next"))
        let rotations = try cli.ok(["audit"]).components(separatedBy: "keys.rotate ").count - 1
        #expect(rotations >= rounds)
    }
}
