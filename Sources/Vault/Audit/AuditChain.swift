/// The hash chain over audit entries, keyed with a key derived from the vault root.
///
/// `hash(n) = BLAKE2b(key: auditKey, hash(n-1) ‖ entry n)`. The keyed head in the metadata binds the last entry
/// and the vault's security-relevant rows (`VaultTransaction.auditedState`), and is rewritten by every write that
/// changes them; every row an audited change creates names its entry (`AuditLinks`). So an entry edited, deleted
/// from the middle or cut from the end, a row changed, added or removed outside Sealgate, and a log cut back to an
/// earlier head while the rows stay all fail `verify`, and without the key nobody can recompute the chain or the
/// head over a forged history. What stays undetected here, a whole vault rolled back to an older copy, is what a
/// checkpoint recorded outside the vault catches.
struct AuditChain {
    static let genesis = [UInt8](repeating: 0, count: 32)
    /// `meta.audit_head_version` of a head that binds the vault's rows; vaults from before it have none (the head
    /// then covers the chain alone, until their next change rewrites it).
    static let stateBoundHeadVersion: Int64 = 2
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

    /// The keyed value of the chain alone at entry `seq`: what `audit head` prints for keeping outside the vault,
    /// and the stored head of vaults from before heads bound their rows.
    func checkpoint(seq: Int64, hash: [UInt8]) -> [UInt8] {
        var message = Array("sealgate/audit-head/v1".utf8)
        message.appendBigEndian(seq)
        return Sodium.keyedHash(message + hash, key: key)
    }

    /// The stored head: the last entry and the encoded rows of the vault (the state comes last, so the encoding is
    /// unambiguous).
    func head(seq: Int64, hash: [UInt8], state: [UInt8]) -> [UInt8] {
        var message = Array("sealgate/audit-head/v2".utf8)
        message.appendBigEndian(seq)
        return Sodium.keyedHash(message + hash + state, key: key)
    }

    /// Appends one entry to the chain inside the caller's transaction, then rewrites the head.
    func append(_ event: AuditEvent, actor: String, now: Int64, in tx: VaultTransaction) throws {
        let last = try tx.lastAuditEntry()
        let entry = AuditEntry(
            seq: (last?.entry.seq ?? 0) + 1, at: now, actor: actor, event: event.event, workspace: event.workspace,
            target: event.target, detail: event.detail)
        let hash = hash(previous: last?.hash ?? Self.genesis, entry: entry)
        try tx.insertAuditEntry(entry, hash: hash)
        try writeHead(seq: entry.seq, hash: hash, in: tx)
    }

    /// Rewrites the head over the rows as they are now, for a write that changed them without an audit entry.
    func resealHead(in tx: VaultTransaction) throws {
        guard let last = try tx.lastAuditEntry() else { return }
        try writeHead(seq: last.entry.seq, hash: last.hash, in: tx)
    }

    private func writeHead(seq: Int64, hash: [UInt8], in tx: VaultTransaction) throws {
        try tx.setMeta("audit_head", blob: head(seq: seq, hash: hash, state: try tx.auditedState()))
        try tx.setMeta("audit_head_version", Self.stateBoundHeadVersion)
    }

    /// Walks the whole chain, checks it against `recorded` (a checkpoint kept outside the vault) when given, checks
    /// that every linked row has the entry that created it, and checks the head; throws an integrity error naming
    /// the first failure.
    func verify(in tx: VaultTransaction, recorded: AuditCheckpoint? = nil) throws -> AuditVerification {
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
            if let recorded, recorded.seq == entry.seq,
                !Sodium.constantTimeEquals(checkpoint(seq: entry.seq, hash: computed), recorded.value)
            {
                throw VaultError(
                    .integrity,
                    "audit log: entry \(entry.seq) does not match the recorded head: the log before it was replaced, "
                        + "or the head is of another vault",
                    remedy: "restore the vault from a backup made after that head was recorded")
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
        let lastSeq = expectedSeq - 1
        if let recorded, recorded.seq > lastSeq {
            throw VaultError(
                .integrity,
                "audit log: it ends at entry \(lastSeq), before the recorded head at entry \(recorded.seq): "
                    + "the log (or the whole vault) was cut back",
                remedy: "restore the vault from a backup made after that head was recorded")
        }
        let unlinked = try tx.rowsWithoutCreatingEntry()
        if let first = unlinked.first {
            let more = unlinked.count > 1 ? " (and \(unlinked.count - 1) more)" : ""
            throw VaultError(
                .integrity,
                "audit log: no entry records the creation of \(first)\(more): entries were cut from the log, "
                    + "or rows were added or changed outside sealgate",
                remedy: "restore the vault from a backup")
        }
        let storedHead = try tx.metaBlob("audit_head") ?? []
        let version = try tx.metaInt("audit_head_version")
        let expectedHead: [UInt8]
        switch version {
        case Self.stateBoundHeadVersion?:
            expectedHead = head(seq: lastSeq, hash: previous, state: try tx.auditedState())
        case nil:
            expectedHead = checkpoint(seq: lastSeq, hash: previous)
        default:
            throw VaultError.integrity("the audit head (unknown version)")
        }
        guard Sodium.constantTimeEquals(storedHead, expectedHead) else {
            throw VaultError(
                .integrity,
                version == nil
                    ? "audit log: entries after \(lastSeq) were removed"
                    : "audit log: the head does not match the log and the vault's rows: entries after \(lastSeq) "
                        + "were removed, or tokens, grants, secrets, servers or settings were changed outside sealgate",
                remedy: "restore the vault from a backup")
        }
        return AuditVerification(
            entries: count, head: AuditCheckpoint(seq: lastSeq, value: checkpoint(seq: lastSeq, hash: previous)),
            coversState: version != nil)
    }
}

extension Sodium {
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in constantTimeEquals(x, y) } }
    }
}
