import Vault

/// The dashboard's own handle on the vault, opened with the actor `dashboard` so that the audit log names every
/// change made here. An actor keeps the non-`Sendable` `SecretVault` (and its keys) in one isolation domain; the
/// handle reopens itself once when another process rotated the master key.
public actor DashboardVault {
    private var vault: SecretVault
    private let reopen: () throws(VaultError) -> SecretVault

    /// `open` opens the vault (it is called again after a key rotation elsewhere).
    public init(open: sending @escaping () throws(VaultError) -> SecretVault) throws(VaultError) {
        self.vault = try open()
        self.reopen = open
    }

    /// Reads (or writes) with the vault, reopening once if the handle went stale.
    func run<T: Sendable>(_ body: sending (SecretVault) throws(VaultError) -> T) throws(VaultError) -> T {
        do {
            return try body(vault)
        } catch  where error.code == .keyRotated {
            vault = try reopen()
            return try body(vault)
        }
    }

    /// A change made from a form: its outcome for the page, or why it failed.
    func change(_ body: sending (SecretVault) throws(DashboardFailure) -> String) throws(DashboardFailure) -> String {
        do {
            return try body(vault)
        } catch  where error.code == .keyRotated {
            do { vault = try reopen() } catch { throw DashboardFailure(error) }
            return try body(vault)
        }
    }

    /// A fresh one-time link's secret, for `serve`'s banner; nil when the vault cannot make one.
    public func oneTimeLink() -> String? {
        // `try?`: the banner then goes without a link, and `sealgate dashboard link` says what is wrong.
        let link = try? run { vault throws(VaultError) in
            try vault.createDashboardLink().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
        return link
    }
}
