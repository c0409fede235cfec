/// A point of the audit chain to keep outside the vault: an entry's number and a keyed value of the chain up to it,
/// written `SEQ:HEX` (what `sealgate audit head` prints).
///
/// `audit verify --head` then fails when the log no longer reaches that entry or differs before it, which catches
/// what no check inside the vault can: the whole vault file replaced by an older copy. Not secret: it is computed
/// with the vault's audit key, so nobody without the key can make one that a forged log matches.
public struct AuditCheckpoint: Sendable, Equatable, CustomStringConvertible {
    public let seq: Int64
    let value: [UInt8]

    init(seq: Int64, value: [UInt8]) {
        self.seq = seq
        self.value = value
    }

    /// Parses `SEQ:HEX` (a positive entry number and 32 bytes in hex); nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq > 0 else { return nil }
        let digits = Array(parts[1].utf8).map(Self.hexValue)
        guard digits.count == 64, digits.allSatisfy({ $0 != nil }) else { return nil }
        let nibbles = digits.map { $0! }
        self.init(seq: seq, value: stride(from: 0, to: 64, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] })
    }

    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        return "\(seq):" + String(decoding: value.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// What `SecretVault.verifyAudit(against:)` found.
public struct AuditVerification: Sendable, Equatable {
    /// How many entries the chain holds.
    public let entries: Int
    /// The checkpoint of the last entry, to record outside the vault.
    public let head: AuditCheckpoint
    /// Whether the stored head binds the vault's rows; false for a vault from before that, until its next change.
    public let coversState: Bool
}
