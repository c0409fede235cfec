import Testing

@testable import Policy

struct GlobPatternTests {
    @Test(arguments: [
        ("*", "anything", true), ("github__*", "github__create_issue", true), ("github__*", "gitlab__x", false),
        ("*__get_*", "jira__get_issue", true), ("*__get_*", "jira__set_issue", false), ("a?c", "abc", true),
        ("a?c", "ac", false), ("exact", "exact", true), ("exact", "exactly", false), ("**", "", true),
        ("file:///docs/*", "file:///docs/a/b.md", true), ("*x*y*z", "axxbyyczz", true), ("*x*y*z", "axbyc", false),
        ("*x*y*z", "axbycz", true),
    ])
    func matching(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(GlobPattern(pattern).matches(name) == expected)
    }

    @Test func pathologicalPatternsStayFast() {
        let name = String(repeating: "a", count: 5_000)
        let pattern = String(repeating: "*a", count: 50) + "b"
        #expect(!GlobPattern(pattern).matches(name))
    }
}

struct AccessPolicyTests {
    @Test func noFeatureSetMeansAll() {
        #expect(AccessPolicy([]).allows("any__tool"))
    }

    @Test func denyWinsWithinASetAndAcrossSets() {
        let readOnly = AccessPolicy.Rules(allow: ["github__*"], deny: ["github__delete_*"])
        let policy = AccessPolicy([readOnly])
        #expect(policy.allows("github__get_repo"))
        #expect(!policy.allows("github__delete_repo"))
        #expect(!policy.allows("slack__post"))
        let combined = AccessPolicy([.all, AccessPolicy.Rules(allow: [], deny: ["*__admin_*"])])
        #expect(combined.allows("slack__post"))
        #expect(!combined.allows("github__admin_reset"))
    }

    @Test func aSetWithoutAllowAllowsNothing() {
        #expect(!AccessPolicy([AccessPolicy.Rules(allow: [], deny: [])]).allows("x__y"))
    }
}

struct ToolNamespaceTests {
    static func isValid(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
    }

    @Test func plainNamesStayReadable() {
        #expect(ToolNamespace.name(server: "github-mcp", tool: "create_issue") == "github-mcp__create_issue")
    }

    @Test(arguments: ["admin.tools.list", "name with spaces", "ünïcødé", "", String(repeating: "x", count: 200), "a/b"])
    func everyNameIsValidAndStable(_ tool: String) {
        let name = ToolNamespace.name(server: "server", tool: tool)
        #expect(Self.isValid(name), "\(name)")
        #expect(name == ToolNamespace.name(server: "server", tool: tool))
    }

    @Test func namesThatWouldCollideAfterCleaningDoNot() {
        let dotted = ToolNamespace.name(server: "s", tool: "a.b")
        let underscored = ToolNamespace.name(server: "s", tool: "a_b")
        #expect(dotted != underscored)
        #expect(underscored == "s__a_b")
    }

    @Test func longNamesAreShortenedDeterministicallyAndKeptApart() {
        let base = String(repeating: "very_long_tool_name_", count: 5)
        let one = ToolNamespace.name(server: "a-server-with-a-long-slug", tool: base + "one")
        let two = ToolNamespace.name(server: "a-server-with-a-long-slug", tool: base + "two")
        #expect(one.count == 64 && two.count == 64 && one != two)
        #expect(one.hasPrefix("a-server-with-a-long-slug__very_long"))
    }

    @Test func theReverseMapRoutesToTheOriginalName() {
        var map = ToolNamespace.ReverseMap()
        let name = map.add(server: "docs", tool: "search.pages")
        #expect(map.resolve(name)?.server == "docs" && map.resolve(name)?.tool == "search.pages")
        #expect(map.resolve("docs__unknown") == nil)
    }

    @Test func theHashIsTheFNV1aOfTheOriginal() {
        #expect(ToolNamespace.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(ToolNamespace.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
    }
}

/// The client's moves against resource rules: pick another server through `sealgate://SERVER/…`, or climb out of
/// an allowed prefix with dot segments.
struct ResourcePatternTests {
    static let publicOfA = AccessPolicy([AccessPolicy.Rules(allow: ["sealgate://a/file:///public/*"], deny: [])])

    @Test func aRuleNamingAServerAllowsThatServersResourcesOnly() {
        #expect(Self.publicOfA.allowsResource("file:///public/readme.md", server: "a"))
        #expect(!Self.publicOfA.allowsResource("file:///public/readme.md", server: "b"))
        #expect(!Self.publicOfA.allowsResource("file:///private/key", server: "a"))
        // Never a tool or prompt name.
        #expect(!Self.publicOfA.allows("a__read"))
    }

    @Test func theServerPartIsAGlobAndDenyNamingAServerWins() {
        let policy = AccessPolicy([
            AccessPolicy.Rules(allow: ["sealgate://docs-*/*"], deny: ["sealgate://docs-internal/*"])
        ])
        #expect(policy.allowsResource("notes://x", server: "docs-public"))
        #expect(!policy.allowsResource("notes://x", server: "docs-internal"))
        #expect(!policy.allowsResource("notes://x", server: "other"))
    }

    /// Rules written before servers could be named keep their meaning: a plain URI glob is for every server.
    @Test func aPlainURIRuleStillAllowsThatURIOnEveryServer() {
        let plain = AccessPolicy([AccessPolicy.Rules(allow: ["file:///public/*"], deny: ["file:///public/hidden*"])])
        #expect(plain.allowsResource("file:///public/a", server: "a"))
        #expect(plain.allowsResource("file:///public/a", server: "b"))
        #expect(!plain.allowsResource("file:///public/hidden.txt", server: "a"))
        #expect(AccessPolicy([]).allowsResource("anything://x", server: "s"))
        #expect(
            !AccessPolicy([AccessPolicy.Rules(allow: ["github__*"], deny: [])]).allowsResource(
                "x://y", server: "github"))
    }

    @Test(arguments: [
        "file:///public/../secret", "file:///public/./x", "file:///public/..", "file:///public/%2e%2e/secret",
        "file:///public/%2E%2e/secret", "file:///public/.%2e/secret", "file:///public/..%2fsecret",
        "file:///public/..%2Fsecret", "file:///public/%2e%2e%2fsecret", "file:///public/..\\secret",
        "file:///public/..%5csecret", "file:///public/%252e%252e%252fsecret", "file:///public/x?path=../secret",
        "file:///public/x#/../y",
    ])
    func dotSegmentsAreRefusedInEverySpelling(_ uri: String) {
        #expect(!Self.publicOfA.allowsResource(uri, server: "a"), "\(uri)")
        #expect(!AccessPolicy([]).allowsResource(uri, server: "a"), "\(uri) under `all`")
    }

    @Test(arguments: [
        "file:///public/a..b", "file:///public/.hidden", "file:///public/...", "file:///public/v1.2/x",
        "file:///public/a%20b", "file:///public/%2Fslash-in-a-name",
    ])
    func namesThatOnlyContainDotsAreFine(_ uri: String) {
        #expect(Self.publicOfA.allowsResource(uri, server: "a"), "\(uri)")
    }
}
