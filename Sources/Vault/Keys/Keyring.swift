/// The unlocked keys of an open vault. Lives only as long as the `SecretVault` that owns it.
///
/// - `kek`: the key-encryption key (from the key file or the passphrase) that wraps every data key and the root.
/// - `root`: a random key sealed by the KEK that survives KEK rotation, from which the token-hash and
///   audit-chain keys are derived; so rotating the KEK invalidates neither tokens nor the audit chain.
final class Keyring {
    let kekTerm: UInt32
    let kek: SecureBytes
    let tokenHashKey: SecureBytes
    let auditKey: SecureBytes
    private let root: SecureBytes

    init(kekTerm: UInt32, kek: SecureBytes, root: SecureBytes) {
        self.kekTerm = kekTerm
        self.kek = kek
        self.root = root
        self.tokenHashKey = root.deriveSubkey(id: 1, context: "TOKINDEX")
        self.auditKey = root.deriveSubkey(id: 2, context: "AUDITMAC")
    }

    /// The same root (so the same token and audit keys) under a new key-encryption key.
    convenience init(kekTerm: UInt32, kek: SecureBytes, sharingRootWith other: Keyring) {
        self.init(kekTerm: kekTerm, kek: kek, root: other.root)
    }

    /// The root sealed under `kek` at `term`, as stored in the vault's metadata.
    func sealedRoot(under kek: SecureBytes, term: UInt32) -> SealedBlob {
        root.withUnsafeBytes { SealedBlob.seal($0, key: kek, keyTerm: term, associatedData: AssociatedData.root()) }
    }

    /// Opens the stored root with a candidate KEK; a wrong key or passphrase fails here as an integrity error.
    static func unlock(sealedRoot: [UInt8], kekTerm: UInt32, kek: SecureBytes) throws(VaultError) -> Keyring {
        let blob = try SealedBlob(parsing: sealedRoot, what: "the vault root key")
        guard blob.keyTerm == kekTerm else {
            throw .integrity("the vault root key (sealed under key term \(blob.keyTerm), expected \(kekTerm))")
        }
        do {
            let root = try blob.open(key: kek, associatedData: AssociatedData.root(), what: "the vault root key")
            return Keyring(kekTerm: kekTerm, kek: kek, root: root)
        } catch {
            throw VaultError(
                .integrity, "the key does not open this vault: wrong key file or passphrase, or the vault was modified",
                remedy: "check the passphrase (or that HOME/key belongs to this vault) and try again")
        }
    }
}
