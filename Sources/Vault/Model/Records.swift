/// What the vault tells about its contents. None of these carry a secret value or a token.

/// A workspace as listed.
public struct WorkspaceInfo: Sendable, Equatable {
    public let id: Int64
    public let slug: String
    public let name: String
    public let isActive: Bool
    public let createdAt: Int64
    public let dataKeyTerm: UInt32
}

/// A server installed in a workspace, and whether it is there because it is default-enabled.
public struct InstalledServer: Sendable, Equatable {
    public let definition: ServerDefinition
    public let viaDefault: Bool
}

/// A secret's name and current version; never its value.
public struct SecretInfo: Sendable, Equatable {
    public let server: String
    public let name: String
    public let currentVersion: Int64
    public let versionCount: Int
    public let updatedAt: Int64
}

/// One stored version of a secret.
public struct SecretVersionInfo: Sendable, Equatable {
    public let version: Int64
    public let createdAt: Int64
    public let createdBy: String
    /// Set when the version was made by `rollback`: the version it copies.
    public let rolledBackFrom: Int64?
    public let isCurrent: Bool
}

/// A workspace token or a client's token, described without the token itself.
public struct TokenInfo: Sendable, Equatable {
    public enum Kind: String, Sendable { case workspace, client }
    public let id: Int64
    public let kind: Kind
    public let name: String
    /// Workspace slug for workspace tokens; nil for clients.
    public let workspace: String?
    public let featureSets: [String]
    public let createdAt: Int64
    public let expiresAt: Int64?
    public let revokedAt: Int64?
    public let lastUsedAt: Int64?

    public func isUsable(now: Int64) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }
}

/// A client's grant in one workspace.
public struct Grant: Sendable, Equatable {
    public let workspace: String
    public let featureSets: [String]
}

/// A client with its grants.
public struct ClientInfo: Sendable, Equatable {
    public let token: TokenInfo
    public let grants: [Grant]
    public var name: String { token.name }
}

/// A token as first issued: the only time its plaintext exists outside the user's hands.
public struct IssuedToken {
    public let info: TokenInfo
    /// `mwt_…`; print it once and let it go.
    public let token: SecretValue
}
