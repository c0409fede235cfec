/// The key state stored in the vault's metadata: which key term is current and the root sealed under it.
struct KeyMetadata {
    let kekTerm: UInt32
    let sealedRoot: [UInt8]

    init(_ tx: VaultTransaction) throws {
        guard let term = try tx.metaInt("kek_term").flatMap(UInt32.init(exactly:)),
            let root = try tx.metaBlob("root_sealed")
        else { throw VaultError.integrity("the vault metadata") }
        kekTerm = term
        sealedRoot = root
    }
}

extension PassphraseKDF {
    /// The parameters this vault was created or last rotated with (checked against the allow-list when used).
    init(_ tx: VaultTransaction) throws {
        guard let ops = try tx.metaInt("kdf_ops").flatMap(UInt64.init(exactly:)),
            let mem = try tx.metaInt("kdf_mem").flatMap(Int.init(exactly:))
        else { throw VaultError.integrity("the vault's passphrase parameters") }
        self.init(opsLimit: ops, memLimit: mem)
    }
}
