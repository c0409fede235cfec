import Glibc
import Vault

extension SecretValue {
    /// Base64 cores shorter than this are not masked: 36 bits match by chance about once in 10^11 positions, so a
    /// large base64 payload (an image in a tool result) is not mangled; a value of 5 bytes or more gets all three.
    static let minimumBase64CoreLength = 6

    /// The base64 of the value wherever it stands inside longer base64 (a `Basic` credential is
    /// base64("user:" + value)): for each of the 3 byte offsets the value can start at, the characters that depend
    /// only on its bytes, in the standard and the URL-safe alphabet. The edge characters that mix in neighbouring
    /// bytes are left out, as GitHub Actions' masker does; they can show at most 4 bits of the value each.
    func base64Cores() -> [SecretValue] {
        var cores: [SecretValue] = []
        for offset in 0..<3 {
            for alphabet in [Self.standardAlphabet, Self.urlSafeAlphabet] {
                if let core = base64Core(offset: offset, alphabet: alphabet) { cores.append(core) }
            }
        }
        return cores
    }

    /// The value with every space as `+`, as a form body or query string writes it; nil when it has no space.
    func spacesAsPlus() -> SecretValue? {
        withUnsafeBytes { (raw) -> SecretValue? in
            guard raw.contains(UInt8(ascii: " ")) else { return nil }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { (buffer) -> SecretValue in
                for (index, byte) in raw.enumerated() { buffer[index] = byte == UInt8(ascii: " ") ? 0x2B : byte }
                defer { explicit_bzero(buffer.baseAddress!, buffer.count) }
                return SecretValue(copying: UnsafeRawBufferPointer(buffer))
            }
        }
    }

    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The characters of base64(`offset` other bytes + value + more) that only the value's bits decide: character
    /// `i` covers bits `6i..<6i+6` of the stream, the value's bits are `8 offset..<8 (offset + count)`.
    private func base64Core(offset: Int, alphabet: [UInt8]) -> SecretValue? {
        let first = (8 * offset + 5) / 6
        let end = 8 * (offset + count) / 6
        guard end - first >= Self.minimumBase64CoreLength else { return nil }
        return withUnsafeBytes { (raw) -> SecretValue in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end - first) { (buffer) -> SecretValue in
                // Byte `j` of the stream: the value's, or zero for a neighbour's (whose bits are never used).
                func byte(_ j: Int) -> UInt16 { j >= offset && j - offset < raw.count ? UInt16(raw[j - offset]) : 0 }
                for i in first..<end {
                    let bit = 6 * i
                    let window = byte(bit / 8) << 8 | byte(bit / 8 + 1)
                    buffer[i - first] = alphabet[Int(window >> (10 - bit % 8) & 0x3F)]
                }
                defer { explicit_bzero(buffer.baseAddress!, buffer.count) }
                return SecretValue(copying: UnsafeRawBufferPointer(buffer))
            }
        }
    }
}
