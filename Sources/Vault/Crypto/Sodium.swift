import CSodium

/// Process-wide libsodium set-up and the few primitives the rest of the vault builds on.
enum Sodium {
    /// `sodium_init` is idempotent and thread-safe; a lazy static runs it exactly once.
    /// Everything that calls into libsodium (guarded memory included) reads this first.
    static let initialized: Bool = sodium_init() >= 0

    static func ensureInitialized() throws(VaultError) {
        guard initialized else {
            throw VaultError(.internalFailure, "libsodium failed to initialise", remedy: "reinstall libsodium23")
        }
    }

    /// Fresh random bytes for nonces, salts and public identifiers (never for keys: those go in `SecureBytes`).
    static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(initialized, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }

    /// Constant-time comparison of two equally long byte strings.
    static func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    /// Keyed BLAKE2b-256 of `message`.
    static func keyedHash(_ message: [UInt8], key: SecureBytes) -> [UInt8] {
        message.withUnsafeBytes { keyedHash($0, key: key) }
    }

    /// Keyed BLAKE2b-256 of bytes that may be secret (no copy is made).
    static func keyedHash(_ message: UnsafeRawBufferPointer, key: SecureBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(crypto_generichash_BYTES))
        key.withUnsafeBytes { keyBytes in
            _ = crypto_generichash(
                &out, out.count, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), keyBytes.count)
        }
        return out
    }

    /// Keeps this process out of core dumps and `ptrace` by same-uid processes. Call before any key is loaded.
    public static func hardenProcess() {
        _ = sealgate_disable_core_dumps()
    }
}

/// Hardening entry point for the executables that hold key material.
public enum ProcessHardening {
    /// Disables core dumps (`RLIMIT_CORE` 0) and marks the process non-dumpable (`PR_SET_DUMPABLE` 0).
    public static func apply() {
        Sodium.hardenProcess()
    }
}
