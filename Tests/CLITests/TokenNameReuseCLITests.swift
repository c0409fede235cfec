import Foundation
import Testing

/// Issue 17: `workspace token revoke WS ci` then `workspace token create WS --name ci` works, and so does a client's
/// name; lists show what is not revoked unless `--all`, which marks the revoked ones with when.
struct TokenNameReuseCLITests {
    /// Whether `row` holds a time as the lists print it.
    static func hasTime(_ row: Substring) -> Bool {
        row.firstMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil
    }

    @Test func aRevokedTokensNameCanBeReusedAndIsListedOnlyWithAll() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Client Acme", "--slug", "client-acme"])
        let first = try #require(
            SealgateCLI.token(in: try cli.ok(["workspace", "token", "create", "client-acme", "--name", "ci"])))
        let taken = try cli.fails(4, ["workspace", "token", "create", "client-acme", "--name", "ci"])
        #expect(taken.contains("already has a token named 'ci'"))
        #expect(taken.contains("sealgate workspace token revoke client-acme ci"))

        #expect(try cli.ok(["workspace", "token", "revoke", "client-acme", "ci"]).contains("Revoked token 'ci'"))
        let created = try cli.ok(["workspace", "token", "create", "client-acme", "--name", "ci"])
        let second = try #require(SealgateCLI.token(in: created))
        #expect(second != first)

        let active = try cli.ok(["workspace", "token", "list", "client-acme"])
        #expect(!active.contains("revoked") && !active.contains("REVOKED"))
        #expect(active.split(separator: "\n").filter { $0.hasPrefix("ci ") }.count == 1)

        let all = try cli.ok(["workspace", "token", "list", "client-acme", "--all"])
        let rows = all.split(separator: "\n").filter { $0.hasPrefix("ci ") }
        #expect(all.split(separator: "\n").first?.hasSuffix("REVOKED") == true)
        #expect(rows.count == 2)
        #expect(rows.filter { $0.contains("revoked") && Self.hasTime($0) }.count == 1)
        #expect(rows.filter { $0.contains("active") && $0.hasSuffix("  -") }.count == 1)

        let json = try cli.json(["workspace", "token", "list", "client-acme", "--all", "--json"]) as? [[String: Any]]
        let ci = json?.filter { $0["name"] as? String == "ci" } ?? []
        #expect(ci.compactMap { $0["status"] as? String }.sorted() == ["active", "revoked"])
        #expect(ci.first { $0["status"] as? String == "revoked" }?["revokedAt"] is String)

        // Every row of the name still has the audit entry that created it.
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))
    }

    @Test func aRevokedClientsNameCanBeReusedAndIsListedOnlyWithAll() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["client", "create", "ide"])
        try cli.ok(["client", "grant", "ide", "--workspace", "eng"])
        #expect(try cli.fails(4, ["client", "create", "ide"]).contains("sealgate client revoke ide"))
        #expect(try cli.ok(["client", "revoke", "ide"]).contains("Revoked client ide"))
        #expect(!(try cli.ok(["client", "list"]).contains("ide")))
        try cli.fails(3, ["client", "grant", "ide", "--workspace", "eng"])  // a revoked client takes no grant

        try cli.ok(["client", "create", "ide"])
        let active = try cli.ok(["client", "list"])
        #expect(active.split(separator: "\n").filter { $0.hasPrefix("ide ") }.count == 1)
        #expect(!active.contains("revoked"))
        let all = try cli.ok(["client", "list", "--all"])
        let rows = all.split(separator: "\n").filter { $0.hasPrefix("ide ") }
        #expect(rows.count == 2)
        #expect(rows.filter { $0.contains("revoked") && Self.hasTime($0) }.count == 1)
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))
    }
}
