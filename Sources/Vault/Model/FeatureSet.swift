/// A named permission bundle in a workspace: glob patterns over `server__tool` names, prompt names and
/// resource URIs. Deny wins over allow.
public struct FeatureSet: Sendable, Equatable {
    /// The built-in FeatureSet that allows everything; the default wherever none is named.
    public static let allName = "all"
    public static let all = FeatureSet(name: allName, allow: ["*"], deny: [])

    public let name: String
    public let allow: [String]
    public let deny: [String]

    public init(name: String, allow: [String], deny: [String]) {
        self.name = name
        self.allow = allow
        self.deny = deny
    }

    public var isBuiltIn: Bool { name == Self.allName }

    func validate() throws(VaultError) {
        try Slug.validate(name, what: "FeatureSet name")
        for pattern in allow + deny where pattern.isEmpty || pattern.utf8.contains(where: { $0 < 32 || $0 == 127 }) {
            throw VaultError(
                .invalidInput, "invalid pattern '\(pattern.prefix(80))'",
                remedy: "patterns are globs such as 'github__*' or 'github__create_*'")
        }
    }
}
