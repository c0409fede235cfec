/// One-time login links for the dashboard. Whoever can open the vault can make one (`serve` at start,
/// `sealgate dashboard link`); the process serving the dashboard redeems it once. Only a keyed hash is stored, so
/// neither a copy of the database nor write access to it yields or forges a link.
extension SecretVault {
    /// How long a link stays usable unless redeemed.
    public static let dashboardLinkLifetime: Int64 = 300

    /// A fresh one-time link secret (`mdl_…`), usable once within `lifetime` seconds. Audited, never with the value.
    public func createDashboardLink(lifetime: Int64 = dashboardLinkLifetime) throws(VaultError) -> SecretValue {
        guard lifetime > 0 else {
            throw VaultError(.invalidInput, "a link must live a moment", remedy: "give a lifetime of at least 1 s")
        }
        let link = AccessToken.generate(prefix: DashboardLink.prefix)
        let hash = AccessToken.hash(link, key: keyring.tokenHashKey)
        let now = clock()
        try writeReturning(changesConfiguration: false) { tx in
            try tx.deleteExpiredDashboardLinks(now: now)
            try tx.insertDashboardLink(hash: hash, expiresAt: now + lifetime)
            return ((), AuditEvent(event: "dashboard.link", detail: "usable once within \(lifetime) s"))
        }
        return link
    }

    /// Whether `presented` is a link made here, unused and unexpired; redeeming it deletes it, so a second use
    /// fails. A success is audited (`dashboard.login`). A failure writes nothing, audit included: anyone who can
    /// reach the dashboard could otherwise fill the log, or hold the database's write lock, with made-up links.
    public func redeemDashboardLink(_ presented: SecretValue) throws(VaultError) -> Bool {
        guard DashboardLink.looksValid(presented) else { return false }
        let hash = AccessToken.hash(presented, key: keyring.tokenHashKey)
        let now = clock()
        guard try read({ try $0.hasDashboardLink(hash: hash, usableAt: now) }) else { return false }
        return try writeReturning(changesConfiguration: false) { tx in
            guard try tx.deleteDashboardLink(hash: hash, usableAt: now) else { return (false, nil) }
            return (true, AuditEvent(event: "dashboard.login", detail: "a one-time link was used"))
        }
    }
}

/// The shape of a link secret: `mdl_` and 43 base64url characters (32 random bytes).
enum DashboardLink {
    static let prefix = "mdl_"

    static func looksValid(_ link: SecretValue) -> Bool {
        link.withUnsafeBytes { bytes in
            bytes.count == prefix.utf8.count + 43 && bytes.starts(with: prefix.utf8)
                && bytes.dropFirst(prefix.utf8.count).allSatisfy(AccessToken.isBase64URL)
        }
    }
}
