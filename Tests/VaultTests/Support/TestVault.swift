import Foundation
import GRDB
import Testing

@testable import Vault

/// A vault in a fresh temporary home, removed when the value goes away.
final class TestVault {
    let home: VaultHome
    var vault: SecretVault

    init(unlock: VaultUnlock = .keyFile, kdf: PassphraseKDF = .moderate) throws {
        home = VaultHome(path: try TemporaryDirectory.make())
        vault = try SecretVault.create(home: home, unlock: unlock, kdf: kdf, actor: "test")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: home.path)
    }

    /// Opens the same vault again, as another process would.
    func reopen(passphrase: String? = nil) throws -> SecretVault {
        try SecretVault.open(home: home, actor: "test") { () throws(VaultError) in
            guard let passphrase else { throw VaultError(.refused, "no passphrase in this test") }
            return SecretValue(unsafeFromString: passphrase)
        }
    }

    /// Raw SQL on the database file, for tampering as an attacker with write access would.
    func tamper(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: home.databasePath)
        try queue.writeWithoutTransaction { try body($0) }
    }

    /// A workspace with one server `github`, ready for secrets.
    @discardableResult
    func workspaceWithServer(_ slug: String = "eng") throws -> WorkspaceInfo {
        if try vault.servers().isEmpty {
            try vault.addServer(ServerDefinition(slug: "github", transport: .stdio(command: "gh-mcp", args: [])))
        }
        return try vault.createWorkspace(name: slug, slug: slug).0
    }

    /// Every byte of the database, its WAL and shared-memory files.
    func fileBytes() throws -> [UInt8] {
        try ["", "-wal", "-shm"].flatMap { suffix -> [UInt8] in
            let path = home.databasePath + suffix
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }
}

enum TemporaryDirectory {
    static func make() throws -> String {
        var template = Array("/tmp/sealgate-test-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw VaultError(.internalFailure, "mkdtemp failed") }
        return String(cString: path)
    }
}

func secret(_ text: String) -> SecretValue {
    SecretValue(unsafeFromString: text)
}

extension SecretValue {
    /// Test-only: the plaintext as a String, to compare against what was stored.
    var testString: String { withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
}

extension [UInt8] {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// Expects `body` to fail with a `VaultError` of `code`.
func expectVaultError(
    _ code: VaultError.Code, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) {
    do {
        try body()
        Issue.record("expected a \(code) error, got success", sourceLocation: sourceLocation)
    } catch let error as VaultError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a VaultError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Expects an integrity error (the CLI's exit 5) from `body`.
func expectIntegrityError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    expectVaultError(.integrity, body, sourceLocation: sourceLocation)
}

/// Expects a refusal (the CLI's exit 4) from `body`.
func expectRefused(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    expectVaultError(.refused, body, sourceLocation: sourceLocation)
}
