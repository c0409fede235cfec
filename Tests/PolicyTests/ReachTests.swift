import Testing

@testable import Policy

/// Whether a token's FeatureSets could allow anything of a server, before the server is started to list it.
struct ReachTests {
    @Test(arguments: [
        ("*", "github__", true), ("github__*", "github__", true), ("git*", "github__", true),
        ("github__issues_*", "github__", true), ("?ithub__*", "github__", true), ("slack__*", "github__", false),
        ("github", "github__", false), ("github__", "github__", true), ("*__search", "github__", true),
        ("gitlab__*", "github__", false),
    ])
    func aGlobMayMatchANameWithAPrefix(pattern: String, prefix: String, expected: Bool) {
        #expect(GlobPattern(pattern).mayMatch(prefix: prefix) == expected)
    }

    @Test func aTokenReachesOnlyServersItsFeatureSetsCouldAllow() {
        let github = AccessPolicy([.init(allow: ["github__*"], deny: [])])
        #expect(github.mayAllowNames(of: "github") && !github.mayAllowNames(of: "slack"))
        // A tool pattern cannot match a URI (a scheme has no `_`), so it reaches no server's resources.
        #expect(!github.mayAllowResources(of: "github") && !github.mayAllowAnything(of: "slack"))

        let files = AccessPolicy([.init(allow: ["file:///public/*"], deny: [])])
        #expect(files.mayAllowResources(of: "slack") && !files.mayAllowNames(of: "slack"))
        let docs = AccessPolicy([.init(allow: ["sealgate://docs/file:///*"], deny: [])])
        #expect(docs.mayAllowResources(of: "docs") && !docs.mayAllowResources(of: "slack"))

        #expect(AccessPolicy([]).mayAllowAnything(of: "anything"))
        let nothing = AccessPolicy([.init(allow: ["*"], deny: ["*"])])
        #expect(!nothing.mayAllowAnything(of: "github"))
        // Long slugs: names are cut, so the prefix every name has is cut too.
        let long = String(repeating: "s", count: 60)
        #expect(AccessPolicy([.init(allow: [String(long.prefix(55)) + "*"], deny: [])]).mayAllowNames(of: long))
    }
}
