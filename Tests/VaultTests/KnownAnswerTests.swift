import Foundation
import Testing

@testable import Vault

/// The sealed format against vectors computed by an independent implementation (scripts/kat-vectors.py).
struct KnownAnswerTests {
    struct Vector: Decodable {
        let name: String
        let keyTerm: UInt32
        let nonce: String
        let plaintext: String
        let associatedData: String
        let blob: String
    }

    struct Fixture: Decodable {
        let keyFile: String
        let vectors: [Vector]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixture() throws -> Fixture {
        let url = root.appendingPathComponent("Tests/VaultTests/Fixtures/kat-vectors.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// The test key's 32 bytes, read straight from the file: git does not keep its 0600 mode, so going through
    /// `KeyFile` (which refuses a key others can read) would test the checkout rather than the format.
    static func key(_ fixture: Fixture) throws -> SecureBytes {
        let bytes = [UInt8](try Data(contentsOf: root.appendingPathComponent(fixture.keyFile)))
        #expect(bytes.count == KeyFile.fileCount && Array(bytes[0..<4]) == KeyFile.magic)
        return bytes[8...].withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// The additional data our code builds for each vector's row.
    static func associatedData(for name: String) -> [UInt8] {
        switch name {
        case "secret": AssociatedData.secret(workspaceID: 42, server: "github", name: "GITHUB_TOKEN", version: 7)
        case "data-key": AssociatedData.dataKey(workspaceID: 42, term: 5)
        default: AssociatedData.root()
        }
    }

    @Test func sealingMatchesTheVectors() throws {
        let fixture = try Self.fixture()
        let key = try Self.key(fixture)
        #expect(fixture.vectors.count == 3)
        for vector in fixture.vectors {
            let ad = Self.associatedData(for: vector.name)
            #expect(ad == [UInt8](hex: vector.associatedData), "additional data layout of \(vector.name)")
            let sealed = [UInt8](hex: vector.plaintext).withUnsafeBytes {
                SealedBlob.seal(
                    $0, key: key, keyTerm: vector.keyTerm, associatedData: ad, nonce: [UInt8](hex: vector.nonce))
            }
            #expect(sealed.bytes == [UInt8](hex: vector.blob), "blob of \(vector.name)")
        }
    }

    @Test func openingTheVectorsGivesThePlaintext() throws {
        let fixture = try Self.fixture()
        let key = try Self.key(fixture)
        for vector in fixture.vectors {
            let blob = try SealedBlob(parsing: [UInt8](hex: vector.blob), what: vector.name)
            #expect(blob.keyTerm == vector.keyTerm)
            let opened = try blob.open(
                key: key, associatedData: Self.associatedData(for: vector.name), what: vector.name)
            #expect(opened.withUnsafeBytes { Array($0) } == [UInt8](hex: vector.plaintext))
        }
    }

    @Test func everyFlippedBitOfAVectorFailsToOpen() throws {
        let fixture = try Self.fixture()
        let key = try Self.key(fixture)
        let vector = fixture.vectors[0]
        let original = [UInt8](hex: vector.blob)
        for index in original.indices {
            var tampered = original
            tampered[index] ^= 0x01
            expectIntegrityError {
                _ = try SealedBlob(parsing: tampered, what: "vector").open(
                    key: key, associatedData: Self.associatedData(for: vector.name), what: "vector")
            }
        }
    }

    @Test func theTestKeyIsClearlyNamedAndOnlyForTests() {
        #expect(KeyFile(path: Self.root.appendingPathComponent("keys/TEST-ONLY-kat.key").path).exists)
    }
}

extension [UInt8] {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self = bytes
    }
}
