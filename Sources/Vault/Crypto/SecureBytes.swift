import CSodium

/// Bytes held in libsodium guarded memory: guard pages, `mlock`ed, zeroed when freed.
///
/// Not `Sendable` on purpose: key material stays with the one owner that loaded it.
final class SecureBytes {
    private let pointer: UnsafeMutableRawPointer
    /// The number of meaningful bytes (the allocation may not shrink, so `truncate` only lowers this).
    private(set) var count: Int

    /// Allocates `count` zeroed bytes. Traps only when the system is out of locked memory.
    init(count: Int) {
        precondition(count >= 0)
        // sodium_malloc aborts if libsodium was never initialised.
        precondition(Sodium.initialized, "libsodium failed to initialise")
        guard let pointer = sodium_malloc(max(count, 1)) else {
            fatalError("sodium_malloc failed: raise `ulimit -l` (locked memory) for this process")
        }
        sodium_memzero(pointer, max(count, 1))
        self.pointer = pointer
        self.count = count
    }

    /// Fresh random key material.
    static func random(count: Int) -> SecureBytes {
        let bytes = SecureBytes(count: count)
        randombytes_buf(bytes.pointer, count)
        return bytes
    }

    /// Copies `source` into guarded memory. The caller stays responsible for wiping its own copy.
    convenience init(copying source: UnsafeRawBufferPointer) {
        self.init(count: source.count)
        if source.count > 0 { pointer.copyMemory(from: source.baseAddress!, byteCount: source.count) }
    }

    deinit {
        sodium_free(pointer)
    }

    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Forgets bytes past `newCount`, wiping them first.
    func truncate(to newCount: Int) {
        precondition(newCount <= count)
        sodium_memzero(pointer + newCount, count - newCount)
        count = newCount
    }

    func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in Sodium.constantTimeEquals(a, b) } }
    }

    /// A copy of 32-byte subkey material derived with `crypto_kdf` (BLAKE2b), for purpose separation.
    func deriveSubkey(id: UInt64, context: StaticString) -> SecureBytes {
        precondition(context.utf8CodeUnitCount == Int(crypto_kdf_CONTEXTBYTES))
        precondition(count == Int(crypto_kdf_KEYBYTES))
        let subkey = SecureBytes(count: 32)
        subkey.withUnsafeMutableBytes { out in
            context.withUTF8Buffer { ctx in
                ctx.withMemoryRebound(to: CChar.self) { ctxChars in
                    _ = crypto_kdf_derive_from_key(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, id, ctxChars.baseAddress!,
                        pointer.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return subkey
    }
}
