/// Why an OAuth step failed, in words an operator can act on. Never holds a token.
public struct OAuthFailure: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The server or its authorization server says or serves something OAuth does not allow (no S256, an issuer
        /// that is not the one asked for, an endpoint over plain HTTP, a malformed document).
        case refusedServer
        /// The authorization server refused the grant for good (`invalid_grant`): only a new login helps.
        case invalidGrant
        /// The authorization server refused the client (`invalid_client`, `unauthorized_client`).
        case invalidClient
        /// Nothing answered, or not in time: worth trying again later.
        case unreachable
        /// The browser step failed: a wrong `state` or `iss`, an error redirect, no redirect in time.
        case authorization
        /// Something the operator passed cannot work.
        case invalidInput
    }

    public let kind: Kind
    public let message: String
    public let remedy: String?

    /// Control characters become `?`: messages quote what servers said, and reach terminals and logs.
    public init(_ kind: Kind, _ message: String, remedy: String? = nil) {
        self.kind = kind
        self.message = Self.printable(message)
        self.remedy = remedy.map(Self.printable)
    }

    static func printable(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { ($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) ? "?" : $0 }))
    }

    public var description: String {
        guard let remedy else { return message }
        return "\(message); \(remedy)"
    }
}
