import CSodium

/// `mwt_` bearer tokens: 32 random bytes, base64url without padding, stored only as a keyed BLAKE2b hash.
enum AccessToken {
    static let prefix = "mwt_"
    static let randomCount = 32

    /// A fresh token in guarded memory: `prefix` and 43 base64url characters.
    static func generate(prefix: String = prefix) -> SecretValue {
        let raw = SecureBytes.random(count: randomCount)
        let encodedMax = sodium_base64_ENCODED_LEN(randomCount, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        let text = SecureBytes(count: prefix.utf8.count + encodedMax)
        text.withUnsafeMutableBytes { out in
            out.copyBytes(from: prefix.utf8)
            raw.withUnsafeBytes { rawBytes in
                _ = sodium_bin2base64(
                    (out.baseAddress! + prefix.utf8.count).assumingMemoryBound(to: CChar.self), encodedMax,
                    rawBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), randomCount,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING)
            }
        }
        text.truncate(to: prefix.utf8.count + encodedMax - 1)  // drop the C string terminator
        return SecretValue(storage: text)
    }

    /// The keyed hash stored in place of the token.
    static func hash(_ token: SecretValue, key: SecureBytes) -> [UInt8] {
        token.withUnsafeBytes { Sodium.keyedHash($0, key: key) }
    }

    /// A stored hash as the published configuration lists it (lowercase hex): how a gateway tells two tokens of
    /// one name apart.
    static func listed(_ hash: [UInt8]) -> String {
        hash.map { String(format: "%02x", $0) }.joined()
    }

    static func isBase64URL(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }

    static func looksValid(_ token: SecretValue) -> Bool {
        token.withUnsafeBytes { $0.count == 47 && $0.starts(with: prefix.utf8) }
    }
}

private func sodium_base64_ENCODED_LEN(_ binCount: Int, _ variant: Int32) -> Int {
    sodium_base64_encoded_len(binCount, variant)
}
