import CSodium

/// Argon2id parameters for deriving the key-encryption key from a passphrase.
///
/// The vault stores which entry it uses, but only entries of ``allowed`` are ever run: a file that names other
/// numbers (say, a tiny memory limit chosen by an attacker) is refused as an integrity error.
public struct PassphraseKDF: Equatable, Sendable {
    public let opsLimit: UInt64
    public let memLimit: Int

    init(opsLimit: UInt64, memLimit: Int) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    /// libsodium's MODERATE (3 passes, 256 MiB; about 0.9 s here) and SENSITIVE (4 passes, 1 GiB).
    public static let moderate = PassphraseKDF(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memLimit: Int(crypto_pwhash_MEMLIMIT_MODERATE))
    public static let sensitive = PassphraseKDF(
        opsLimit: UInt64(crypto_pwhash_OPSLIMIT_SENSITIVE), memLimit: Int(crypto_pwhash_MEMLIMIT_SENSITIVE))
    public static let allowed: [PassphraseKDF] = [.moderate, .sensitive]

    static let saltCount = Int(crypto_pwhash_SALTBYTES)

    /// Derives the 32-byte key-encryption key. Slow on purpose; run it off any event loop.
    func deriveKey(passphrase: SecretValue, salt: [UInt8]) throws(VaultError) -> SecureBytes {
        guard Self.allowed.contains(self) else {
            throw .integrity("the vault's passphrase parameters (not on the allow-list)")
        }
        guard salt.count == Self.saltCount else { throw .integrity("the vault's passphrase salt") }
        guard !passphrase.isEmpty else {
            throw VaultError(.invalidInput, "the passphrase is empty", remedy: "give the vault's passphrase")
        }
        let key = SecureBytes(count: KeyFile.keyCount)
        let rc = key.withUnsafeMutableBytes { out in
            passphrase.withUnsafeBytes { pass in
                crypto_pwhash(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                    pass.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pass.count),
                    salt, opsLimit, memLimit, crypto_pwhash_ALG_ARGON2ID13)
            }
        }
        guard rc == 0 else {
            throw VaultError(
                .internalFailure, "Argon2id could not allocate \(memLimit >> 20) MiB",
                remedy: "free some memory and try again")
        }
        return key
    }
}
