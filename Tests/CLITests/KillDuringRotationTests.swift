import Foundation
import TestSupport
import Testing
import Vault

/// `kill -9` at random moments of a rotation, in a loop of real processes: the vault always opens, in the old
/// or the new key state, with every secret readable.
@Suite(.serialized)
struct KillDuringRotationTests {
    enum Rotation: String, CaseIterable, Sendable {
        case masterKey, workspaceKey
        var arguments: [String] { self == .masterKey ? ["keys", "rotate"] : ["keys", "rotate", "--workspace", "eng"] }
    }

    static let secretsPerWorkspace = 120
    static let iterations = 24

    /// A vault with enough secrets that a rotation takes a while, filled in-process to keep set-up fast.
    func populatedVault() throws -> (SealgateCLI, [String: String]) {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["workspace", "create", "Ops"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        let vault = try open(cli)
        var expected: [String: String] = [:]
        for ws in ["eng", "ops"] {
            for i in 0..<Self.secretsPerWorkspace {
                let value = "\(ws)-value-\(i)-\(UInt64.random(in: 0...UInt64.max))"
                try vault.setSecret(
                    server: "github", name: "S\(i)", value: SecretValue(unsafeFromString: value), workspace: ws)
                expected["\(ws)/S\(i)"] = value
            }
        }
        return (cli, expected)
    }

    func open(_ cli: SealgateCLI) throws -> SecretVault {
        try SecretVault.open(home: VaultHome(path: cli.home), actor: "test") { () throws(VaultError) in
            throw VaultError(.refused, "key-file vault")
        }
    }

    /// The key term the rotation changes: the master key's (from the key file) or the workspace's data key's.
    func term(_ rotation: Rotation, _ vault: SecretVault, _ cli: SealgateCLI) throws -> UInt32 {
        switch rotation {
        case .masterKey:
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cli.home + "/key")))
            return bytes[4..<8].reduce(0) { ($0 << 8) | UInt32($1) }
        case .workspaceKey:
            return try vault.workspace("eng").dataKeyTerm
        }
    }

    @Test(arguments: Rotation.allCases)
    func aKilledRotationLeavesAReadableVault(_ rotation: Rotation) throws {
        let (cli, expected) = try populatedVault()
        let started = Date()
        try cli.ok(rotation.arguments)
        let duration = Date().timeIntervalSince(started)

        var outcomes: [Bool: Int] = [:]
        for _ in 0..<Self.iterations {
            let before = try term(rotation, try open(cli), cli)
            let process = try cli.start(rotation.arguments)
            usleep(useconds_t(Double.random(in: 0...(duration * 1.5)) * 1_000_000))
            try process.stop(signal: SIGKILL)

            let vault = try open(cli)
            let after = try term(rotation, vault, cli)
            #expect(after == before || after == before + 1)
            outcomes[after != before, default: 0] += 1
            var wrong = 0
            for (key, value) in expected {
                let parts = key.split(separator: "/").map(String.init)
                let read = try vault.unsealSecret(server: "github", name: parts[1], workspace: parts[0])
                if read.withUnsafeBytes({ String(decoding: $0, as: UTF8.self) }) != value { wrong += 1 }
            }
            #expect(wrong == 0, "\(wrong) secrets read back wrong after a kill")
            #expect(try vault.verifyAudit() > 0)
        }
        // Not vacuous: some kills landed before the commit and some after.
        #expect(outcomes[false, default: 0] > 0, "no kill landed before the commit: \(outcomes)")
        #expect(outcomes[true, default: 0] > 0, "no rotation completed: \(outcomes)")
        #expect(try cli.ok(["secrets", "verify"]).contains("OK: \(2 * Self.secretsPerWorkspace) secret versions"))
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/key.next"))
    }
}
