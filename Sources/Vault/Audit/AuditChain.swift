/// The hash chain over audit entries, keyed with a key derived from the vault root.
///
/// `hash(n) = BLAKE2b(key: auditKey, hash(n-1) ‖ entry n)`, and a keyed head (last seq and hash) sits in the
/// metadata; an entry edited, deleted from the middle, or cut from the end no longer verifies, and without the
/// key nobody can recompute the chain over a forged history.
struct AuditChain {
    static let genesis = [UInt8](repeating: 0, count: 32)
    let key: SecureBytes

    func hash(previous: [UInt8], entry: AuditEntry) -> [UInt8] {
        var message = Array("sealgate/audit/v1".utf8) + previous
        message.appendBigEndian(entry.seq)
        message.appendBigEndian(entry.at)
        message.appendField(entry.actor)
        message.appendField(entry.event)
        for optional in [entry.workspace, entry.target, entry.detail] {
            if let value = optional {
                message.append(1)
                message.appendField(value)
            } else {
                message.append(0)
            }
        }
        return Sodium.keyedHash(message, key: key)
    }

    func head(seq: Int64, hash: [UInt8]) -> [UInt8] {
        var message = Array("sealgate/audit-head/v1".utf8)
        message.appendBigEndian(seq)
        return Sodium.keyedHash(message + hash, key: key)
    }

    /// Appends one entry to the chain inside the caller's transaction.
    func append(_ event: AuditEvent, actor: String, now: Int64, in tx: VaultTransaction) throws {
        let last = try tx.lastAuditEntry()
        let entry = AuditEntry(
            seq: (last?.entry.seq ?? 0) + 1, at: now, actor: actor, event: event.event, workspace: event.workspace,
            target: event.target, detail: event.detail)
        let hash = hash(previous: last?.hash ?? Self.genesis, entry: entry)
        try tx.insertAuditEntry(entry, hash: hash)
        try tx.setMeta("audit_head", blob: head(seq: entry.seq, hash: hash))
    }

    /// Walks the whole chain; returns the number of entries or throws an integrity error naming the first bad one.
    func verify(in tx: VaultTransaction) throws -> Int {
        var previous = Self.genesis
        var expectedSeq: Int64 = 1
        var count = 0
        for (entry, stored) in try tx.auditEntriesWithHashes() {
            guard entry.seq == expectedSeq else {
                throw VaultError(
                    .integrity, "audit log: entry \(expectedSeq) is missing", remedy: "restore the vault from a backup")
            }
            let computed = hash(previous: previous, entry: entry)
            guard Sodium.constantTimeEquals(computed, stored) else {
                throw VaultError(
                    .integrity, "audit log: entry \(entry.seq) was modified", remedy: "restore the vault from a backup")
            }
            previous = computed
            expectedSeq += 1
            count += 1
        }
        // Every vault starts with its `vault.init` entry, so an empty log means everything was deleted.
        guard count > 0 else {
            throw VaultError(
                .integrity, "audit log: every entry was removed", remedy: "restore the vault from a backup")
        }
        let storedHead = try tx.metaBlob("audit_head") ?? []
        let expectedHead = head(seq: expectedSeq - 1, hash: previous)
        guard Sodium.constantTimeEquals(storedHead, expectedHead) else {
            throw VaultError(
                .integrity, "audit log: entries after \(expectedSeq - 1) were removed",
                remedy: "restore the vault from a backup")
        }
        return count
    }
}

extension Sodium {
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in constantTimeEquals(x, y) } }
    }
}
