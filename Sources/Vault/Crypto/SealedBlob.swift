import CSodium

/// The stored form of anything sealed: `format ‖ key term (u32 BE) ‖ nonce (24) ‖ ciphertext+tag`.
///
/// The header names the key term so opening never tries several keys (Poly1305 is not key-committing), and the
/// header itself is part of the additional data, so a changed format byte or term fails to open.
struct SealedBlob: Equatable {
    static let formatV1: UInt8 = 0x01
    static let nonceCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    static let headerCount = 1 + 4 + nonceCount

    let format: UInt8
    let keyTerm: UInt32
    let nonce: [UInt8]
    let ciphertext: [UInt8]

    var bytes: [UInt8] {
        var out: [UInt8] = [format]
        out.appendBigEndian(keyTerm)
        out += nonce
        out += ciphertext
        return out
    }

    /// Parses a stored blob; anything malformed is an integrity failure, never a crash.
    init(parsing bytes: [UInt8], what: String) throws(VaultError) {
        guard bytes.count >= Self.headerCount + Self.tagCount, bytes[0] == Self.formatV1 else {
            throw .integrity(what)
        }
        format = bytes[0]
        keyTerm = UInt32(bigEndianBytes: bytes[1..<5])
        nonce = Array(bytes[5..<Self.headerCount])
        ciphertext = Array(bytes[Self.headerCount...])
    }

    private init(keyTerm: UInt32, nonce: [UInt8], ciphertext: [UInt8]) {
        self.format = Self.formatV1
        self.keyTerm = keyTerm
        self.nonce = nonce
        self.ciphertext = ciphertext
    }

    /// The bytes authenticated along with the row's own additional data.
    private static func header(format: UInt8, keyTerm: UInt32) -> [UInt8] {
        var out: [UInt8] = [format]
        out.appendBigEndian(keyTerm)
        return out
    }

    /// Seals `plaintext` under `key` (term `keyTerm`) with a fresh random nonce.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, keyTerm: UInt32, associatedData: [UInt8]
    ) -> SealedBlob {
        let nonce = Sodium.randomBytes(nonceCount)
        return seal(plaintext, key: key, keyTerm: keyTerm, associatedData: associatedData, nonce: nonce)
    }

    /// Sealing with a caller-chosen nonce exists only for known-answer tests; reusing a nonce breaks the cipher.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer, key: SecureBytes, keyTerm: UInt32, associatedData: [UInt8],
        nonce: [UInt8]
    ) -> SealedBlob {
        precondition(key.count == Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES) && nonce.count == nonceCount)
        let ad = header(format: formatV1, keyTerm: keyTerm) + associatedData
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagCount)
        var written: UInt64 = 0
        key.withUnsafeBytes { keyBytes in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &ciphertext, &written,
                plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                ad, UInt64(ad.count), nil, nonce, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return SealedBlob(keyTerm: keyTerm, nonce: nonce, ciphertext: ciphertext)
    }

    /// Opens into guarded memory. Fails with an integrity error that says nothing about the cause.
    func open(key: SecureBytes, associatedData: [UInt8], what: String) throws(VaultError) -> SecureBytes {
        let ad = Self.header(format: format, keyTerm: keyTerm) + associatedData
        let plaintext = SecureBytes(count: ciphertext.count - Self.tagCount)
        var written: UInt64 = 0
        let rc = plaintext.withUnsafeMutableBytes { out in
            key.withUnsafeBytes { keyBytes in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), &written, nil,
                    ciphertext, UInt64(ciphertext.count), ad, UInt64(ad.count), nonce,
                    keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0, Int(written) == plaintext.count else { throw .integrity(what) }
        return plaintext
    }
}

extension [UInt8] {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// Appends a length-prefixed (u16 BE) UTF-8 field so that ("ab","c") and ("a","bc") never encode alike.
    mutating func appendField(_ string: String) {
        let utf8 = Array(string.utf8)
        appendBigEndian(UInt16(truncatingIfNeeded: utf8.count))
        append(contentsOf: utf8)
    }
}

extension UInt32 {
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { ($0 << 8) | UInt32($1) }
    }
}
