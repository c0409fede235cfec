import MCPWire

/// Everything the gateway needs to serve workspaces, and nothing secret: no secret values, no server commands,
/// URLs or headers, no key material. Token hashes are keyed hashes of 256-bit random tokens.
public struct ConfigSnapshot: Sendable, Equatable {
    public struct Workspace: Sendable, Equatable {
        public var slug: String
        public var name: String
        /// Installed servers, default-enabled ones included.
        public var servers: [Server]
        public var featureSets: [FeatureSet]
        public var tokens: [Token]
        public init(slug: String, name: String, servers: [Server], featureSets: [FeatureSet], tokens: [Token]) {
            (self.slug, self.name, self.servers, self.featureSets, self.tokens) = (
                slug, name, servers, featureSets, tokens
            )
        }
    }

    public struct Server: Sendable, Equatable {
        public var slug: String
        public var transport: String
        public var shared: Bool
        public var defaultEnabled: Bool
        public init(slug: String, transport: String, shared: Bool, defaultEnabled: Bool) {
            (self.slug, self.transport, self.shared, self.defaultEnabled) = (slug, transport, shared, defaultEnabled)
        }
    }

    public struct FeatureSet: Sendable, Equatable {
        public var name: String
        public var allow: [String]
        public var deny: [String]
        public init(name: String, allow: [String], deny: [String]) {
            (self.name, self.allow, self.deny) = (name, allow, deny)
        }
    }

    /// A usable (not revoked, not expired at snapshot time) token.
    public struct Token: Sendable, Equatable {
        public var name: String
        /// Hex of the keyed BLAKE2b-256 hash.
        public var hash: String
        public var featureSets: [String]
        /// Milliseconds since the epoch, or nil.
        public var expiresAt: Int64?
        public init(name: String, hash: String, featureSets: [String], expiresAt: Int64?) {
            (self.name, self.hash, self.featureSets, self.expiresAt) = (name, hash, featureSets, expiresAt)
        }
    }

    public struct Client: Sendable, Equatable {
        public var token: Token
        /// Workspace slug → FeatureSet names.
        public var grants: [String: [String]]
        public init(token: Token, grants: [String: [String]]) {
            (self.token, self.grants) = (token, grants)
        }
    }

    /// Moves on every committed configuration change.
    public var generation: Int64
    public var activeWorkspace: String?
    public var workspaces: [Workspace]
    public var clients: [Client]

    public init(generation: Int64, activeWorkspace: String?, workspaces: [Workspace], clients: [Client]) {
        (self.generation, self.activeWorkspace, self.workspaces, self.clients) = (
            generation, activeWorkspace, workspaces, clients
        )
    }
}
