import Analytics

extension SecretVault {
    /// How long analytics are kept.
    public static let usageRetentionDays: Int64 = 30

    /// Adds the gateway's counts to the vault in one transaction. Analytics are not configuration and not secret
    /// use: the write moves no generation and adds no audit entry. Records of a workspace that no longer exists are
    /// dropped; rows past the retention go in the same transaction. Returns how many records were kept.
    @discardableResult
    public func recordUsage(_ records: [UsageRecord]) throws(VaultError) -> Int {
        let oldest = clock() / 60 - Self.usageRetentionDays * 24 * 60  // the clock counts seconds
        return try writeReturning(changesConfiguration: false) { tx in
            var kept = 0
            for record in records where try tx.addUsage(record) { kept += 1 }
            try tx.deleteUsage(before: oldest)
            return (kept, nil)
        }
    }

    /// The records of `workspace` (or of every workspace) from `since` (milliseconds since the epoch) on, by minute.
    public func usage(workspace: String? = nil, since: Int64) throws(VaultError) -> [UsageRecord] {
        if let workspace, try read({ try $0.workspace(slug: workspace) }) == nil {
            throw VaultError(
                .notFound, "no workspace '\(workspace.prefix(80))'",
                remedy: "see `sealgate workspace list` for the slugs")
        }
        return try read { try $0.usage(workspace: workspace, since: since / 60_000) }
    }
}
