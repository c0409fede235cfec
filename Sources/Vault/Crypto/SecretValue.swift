import CSodium

/// A secret value: held in guarded memory, wiped when released, never printed.
///
/// Not `Codable`, not `Sendable`, no `String` view: the bytes are reachable only inside ``withUnsafeBytes(_:)``.
public final class SecretValue: CustomStringConvertible, CustomDebugStringConvertible, Equatable {
    let storage: SecureBytes

    init(storage: SecureBytes) {
        self.storage = storage
    }

    /// Copies `bytes` into guarded memory. Wipe the source yourself if it was sensitive.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        self.init(storage: SecureBytes(copying: bytes))
    }

    /// Takes a value from a command-line argument. The `String` it came from cannot be wiped: prefer stdin.
    public convenience init(unsafeFromString string: String) {
        var utf8 = Array(string.utf8)
        self.init(storage: utf8.withUnsafeBytes { SecureBytes(copying: $0) })
        utf8.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }

    /// Lends the plaintext for the duration of `body`; do not let the pointer escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "SecretValue(<redacted>, \(count) bytes)" }

    /// Constant-time comparison.
    public static func == (lhs: SecretValue, rhs: SecretValue) -> Bool {
        lhs.storage.constantTimeEquals(rhs.storage)
    }
}
