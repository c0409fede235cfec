import CSodium

/// The random values and the digest an OAuth client needs (RFC 7636 PKCE, `state`), made here because only the
/// vault talks to libsodium.
public enum ProofKey {
    /// `byteCount` random bytes as base64url without padding: a PKCE verifier (32 bytes give 43 characters, the
    /// shortest RFC 7636 allows) or a `state`.
    public static func randomText(byteCount: Int = 32) -> String {
        base64URL(Sodium.randomBytes(byteCount))
    }

    /// The S256 challenge of a verifier: BASE64URL(SHA256(ASCII(verifier))).
    public static func s256Challenge(of verifier: String) -> String {
        precondition(Sodium.initialized, "libsodium failed to initialise")
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let input = Array(verifier.utf8)
        _ = crypto_hash_sha256(&digest, input, UInt64(input.count))
        return base64URL(digest)
    }

    /// The SHA-256 of `text` in lower-case hex: a way to tell tokens apart in a test or a log, never the token.
    public static func sha256Hex(_ text: String) -> String {
        precondition(Sodium.initialized, "libsodium failed to initialise")
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let input = Array(text.utf8)
        _ = crypto_hash_sha256(&digest, input, UInt64(input.count))
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        let variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING
        let capacity = sodium_base64_encoded_len(bytes.count, variant)
        var out = [CChar](repeating: 0, count: capacity)
        _ = sodium_bin2base64(&out, capacity, bytes, bytes.count, variant)
        return String(decoding: out.prefix(capacity - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
