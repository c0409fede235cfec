/// What a token or grant may reach, from its FeatureSets: a name is allowed when some set allows it and no set
/// denies it (deny wins, across all the sets). No FeatureSet named means the built-in `all`.
public struct AccessPolicy: Sendable {
    /// One FeatureSet's rules.
    public struct Rules: Sendable {
        public let allow: [GlobPattern]
        public let deny: [GlobPattern]

        public init(allow: [String], deny: [String]) {
            self.allow = allow.map(GlobPattern.init)
            self.deny = deny.map(GlobPattern.init)
        }

        /// The built-in `all`.
        public static let all = Rules(allow: ["*"], deny: [])
    }

    private let allow: [GlobPattern]
    private let deny: [GlobPattern]
    private let allowResources: [ResourcePattern]
    private let denyResources: [ResourcePattern]

    /// The policy of a token holding `sets`; an empty list means `all`.
    public init(_ sets: [Rules]) {
        let effective = sets.isEmpty ? [Rules.all] : sets
        allow = effective.flatMap(\.allow)
        deny = effective.flatMap(\.deny)
        allowResources = allow.map(ResourcePattern.init)
        denyResources = deny.map(ResourcePattern.init)
    }

    /// Whether a namespaced tool or prompt name (`server__tool`) may be listed and used.
    public func allows(_ name: String) -> Bool {
        !deny.contains { $0.matches(name) } && allow.contains { $0.matches(name) }
    }

    /// Whether resource `uri` (as `server` lists it: never a `sealgate://` address), or a resource template, of
    /// `server` may be listed and used. Patterns that name a server (`sealgate://SERVER/URI`) apply to that server's
    /// resources only; plain URI patterns to every server's. A URI with a `.` or `..` segment (see ``DotSegments``),
    /// or without a scheme, is refused whatever the patterns say.
    public func allowsResource(_ uri: String, server: String) -> Bool {
        // A resource is named by a URI, which starts with a scheme: so a tool pattern (`github__*`) allows none, as
        // `mayAllowResources` assumes when it decides which servers to start.
        guard ResourcePattern.startsWithScheme(uri), !DotSegments.occur(in: uri) else { return false }
        return !denyResources.contains { $0.matches(server: server, uri: uri) }
            && allowResources.contains { $0.matches(server: server, uri: uri) }
    }

    /// Whether a tool or prompt of `server` could be allowed: some allow pattern may match a name `server__…`, and
    /// no deny pattern matches every name. Says nothing of what the server lists; used to leave alone (never start,
    /// never report on) a server of which a token can use nothing.
    public func mayAllowNames(of server: String) -> Bool {
        !deny.contains(where: \.matchesEverything)
            && allow.contains { $0.mayMatch(prefix: ToolNamespace.prefix(server: server)) }
    }

    /// Whether a resource or resource template of `server` could be allowed (see `ResourcePattern.mayApply`).
    public func mayAllowResources(of server: String) -> Bool {
        !deny.contains(where: \.matchesEverything) && allowResources.contains { $0.mayApply(toServer: server) }
    }

    /// Whether anything of `server` could be allowed.
    public func mayAllowAnything(of server: String) -> Bool {
        mayAllowNames(of: server) || mayAllowResources(of: server)
    }
}
