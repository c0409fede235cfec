/// How the key-encryption key is obtained when a vault is created or opened.
public enum VaultUnlock {
    /// The default: a random key in `HOME/key` (0600).
    case keyFile
    /// A passphrase run through Argon2id; only the salt and the parameter choice are stored.
    case passphrase(SecretValue)
}

/// Supplies the passphrase only when the vault turns out to need one (a prompt, a file, or the environment).
public typealias PassphraseProvider = () throws(VaultError) -> SecretValue
