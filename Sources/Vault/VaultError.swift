/// The one error type of the vault: a code to match on, a message, and what to do about it.
public struct VaultError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; the CLI maps each to an exit code.
    public enum Code: Sendable, Equatable {
        /// A workspace, server, secret, token, FeatureSet or client that does not exist.
        case notFound
        /// Refused: already exists, locked vault, permission, a rule that forbids the change.
        case refused
        /// Authentication of sealed data failed: tampering, a moved row, a wrong key or passphrase.
        case integrity
        /// Input that can never be valid (bad slug, empty value, malformed duration).
        case invalidInput
        /// Another process rotated the master key after this handle loaded it; open the vault again.
        case keyRotated
        /// Anything else: I/O, SQLite, the system.
        case internalFailure
    }

    public let code: Code
    public let message: String
    /// One sentence saying what to do next, or nil when there is nothing useful to add.
    public let remedy: String?

    public init(_ code: Code, _ message: String, remedy: String? = nil) {
        self.code = code
        self.message = message
        self.remedy = remedy
    }

    public var description: String {
        guard let remedy else { return message }
        return "\(message); \(remedy)"
    }

    static let keyRotated = VaultError(
        .keyRotated, "the master key was rotated by another process while this one had the vault open",
        remedy: "run the command again")

    /// Sealed data failed to authenticate. Deliberately says nothing about which check failed.
    static func integrity(_ what: String) -> VaultError {
        VaultError(
            .integrity, "integrity check failed for \(what): the data was modified, moved, or the key is wrong",
            remedy: "restore the vault from a backup or check that the right key file or passphrase is used")
    }
}
