import Testing

@testable import Vault

struct ValidationTests {
    @Test(arguments: ["a", "github-mcp", "0day", String(repeating: "a", count: 63)])
    func goodSlugs(_ slug: String) throws {
        try Slug.validate(slug, what: "slug")
    }

    @Test(arguments: ["", "-a", "A", "a_b", "a b", "ä", String(repeating: "a", count: 64), "a/b"])
    func badSlugs(_ slug: String) {
        #expect(throws: VaultError.self) { try Slug.validate(slug, what: "slug") }
    }

    @Test(arguments: [
        ("Engineering", "engineering"), ("Client Alpha!", "client-alpha"), ("  Dev / Staging ", "dev-staging"),
    ])
    func slugsDerivedFromNames(_ name: String, _ slug: String) {
        #expect(Slug.derive(from: name) == slug)
    }

    @Test func serverSlugsCannotHoldTheNamespaceSeparator() {
        let server = ServerDefinition(slug: "git__hub", transport: .stdio(command: "x", args: []))
        #expect(throws: VaultError.self) { try server.validate() }
    }

    @Test func secretReferencesAreFoundEverywhereAndValidated() throws {
        let server = ServerDefinition(
            slug: "api",
            transport: .http(
                url: "https://h.invalid/${TENANT}/mcp",
                headers: [.init(name: "Authorization", value: "Bearer ${API_KEY}")]),
            environment: [.init(name: "X", value: "${API_KEY}")])
        try server.validate()
        #expect(server.secretReferences == ["API_KEY", "TENANT"])
        let bad = ServerDefinition(slug: "api", transport: .stdio(command: "x", args: ["${not valid}"]))
        #expect(throws: VaultError.self) { try bad.validate() }
        let notHTTP = ServerDefinition(slug: "api", transport: .http(url: "ftp://x", headers: []))
        #expect(throws: VaultError.self) { try notHTTP.validate() }
    }
}
