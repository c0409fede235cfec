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

    /// The policy of a token holding `sets`; an empty list means `all`.
    public init(_ sets: [Rules]) {
        let effective = sets.isEmpty ? [Rules.all] : sets
        allow = effective.flatMap(\.allow)
        deny = effective.flatMap(\.deny)
    }

    /// Whether a namespaced tool or prompt name (`server__tool`) or a resource URI may be listed and used.
    public func allows(_ name: String) -> Bool {
        !deny.contains { $0.matches(name) } && allow.contains { $0.matches(name) }
    }
}
