import Foundation
import GRDB
import Testing

@testable import Vault

/// OAuth grants in the vault: sealed records under reserved names, written only over what was read, audited, and
/// out of reach of the paths a user's secrets take.
@Suite struct OAuthGrantTests {
    static func prepared() throws -> TestVault {
        let t = try TestVault()
        try t.vault.addServer(
            ServerDefinition(
                slug: "api", transport: .http(url: "https://mcp.example/mcp", headers: []),
                oauth: OAuthClientSettings(clientID: "sg", scopes: ["mcp"], issuer: "https://auth.example")))
        _ = try t.vault.createWorkspace(name: "eng", slug: "eng")
        try t.vault.install(server: "api", workspace: "eng")
        return t
    }

    static let login = OAuthLogin(
        grantType: "authorization_code", issuer: "https://auth.example", tokenEndpoint: "https://auth.example/token",
        revocationEndpoint: nil, resource: "https://mcp.example/mcp", clientID: "sg", clientSecret: nil,
        clientAuthentication: "none", scopes: ["mcp"], loggedInAt: 1)

    static func tokens(_ access: String) -> OAuthTokens {
        OAuthTokens(
            accessToken: access, refreshToken: "refresh-\(access)", expiresAt: 5000, scopes: ["mcp"], obtainedAt: 1)
    }

    @Test func aRefreshWritesOnlyOverTheTokensItReadAndALoginWins() throws {
        let t = try Self.prepared()
        let first = try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("one"), server: "api", workspace: "eng")
        let refreshed = try #require(
            try t.vault.replaceOAuthTokens(Self.tokens("two"), of: first, server: "api", workspace: "eng"))
        #expect(refreshed.tokensVersion == first.tokensVersion + 1)
        // A second refresh from the same read (a race) writes nothing.
        #expect(try t.vault.replaceOAuthTokens(Self.tokens("three"), of: first, server: "api", workspace: "eng") == nil)
        // A login made while a refresh ran wins over it.
        _ = try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("four"), server: "api", workspace: "eng")
        #expect(
            try t.vault.replaceOAuthTokens(Self.tokens("five"), of: refreshed, server: "api", workspace: "eng") == nil)
        #expect(try t.vault.oauthGrant(server: "api", workspace: "eng")?.tokens.accessToken == "four")
        let events = try t.vault.auditEntries(workspace: "eng").map(\.event)
        #expect(events.filter { $0 == "oauth.login" }.count == 2 && events.filter { $0 == "oauth.refresh" }.count == 1)
        #expect(try t.vault.verifyAudit() > 0)
        // Sealed: no token in the files.
        let bytes = try t.fileBytes()
        for token in ["one", "two", "four", "refresh-four"] where token.count > 3 {
            #expect(!bytes.contains(subsequence: Array("\"\(token)\"".utf8)))
        }
    }

    /// Versions start again after a logout: a refresh of the login before it must still not pass for one of the
    /// login after it (its tokens, from the old authorization server, would be written under the new endpoints).
    @Test func aRefreshOfAnEarlierLoginIsRefusedAfterLogoutAndLoginAgain() throws {
        let t = try Self.prepared()
        let earlier = try t.vault.saveOAuthLogin(
            Self.login, tokens: Self.tokens("one"), server: "api", workspace: "eng")
        try t.vault.removeOAuthGrant(server: "api", workspace: "eng")
        let later = try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("two"), server: "api", workspace: "eng")
        #expect(later.loginVersion == earlier.loginVersion && later.tokensVersion == earlier.tokensVersion)
        #expect(try t.vault.replaceOAuthTokens(Self.tokens("old"), of: earlier, server: "api", workspace: "eng") == nil)
        #expect(try t.vault.oauthGrant(server: "api", workspace: "eng")?.tokens.accessToken == "two")
    }

    @Test func grantsAreNeitherInjectedNorSetNorRolledBackByHand() throws {
        let t = try Self.prepared()
        try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("one"), server: "api", workspace: "eng")
        _ = try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("two"), server: "api", workspace: "eng")
        #expect(try t.vault.unsealForInjection(server: "api", workspace: "eng", purpose: "test").isEmpty)
        #expect(throws: VaultError.self) {
            try t.vault.setSecret(
                server: "api", name: OAuthGrant.tokensName, value: SecretValue(unsafeFromString: "x"), workspace: "eng")
        }
        #expect(throws: VaultError.self) {
            try t.vault.rollbackSecret(server: "api", name: OAuthGrant.tokensName, to: 1, workspace: "eng")
        }
        // A refresh does not change what a running upstream must redo; a login does.
        let grant = try #require(try t.vault.oauthGrant(server: "api", workspace: "eng"))
        let before = try t.vault.injectionFingerprint(server: "api", workspace: "eng")
        _ = try t.vault.replaceOAuthTokens(Self.tokens("three"), of: grant, server: "api", workspace: "eng")
        #expect(try t.vault.injectionFingerprint(server: "api", workspace: "eng") == before)
        try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("four"), server: "api", workspace: "eng")
        #expect(try t.vault.injectionFingerprint(server: "api", workspace: "eng") != before)
        #expect(try t.vault.removeOAuthGrant(server: "api", workspace: "eng"))
        #expect(try t.vault.oauthGrant(server: "api", workspace: "eng") == nil)
        #expect(try t.vault.verifyAudit() > 0)
    }

    /// A grant is a secret of its workspace and server: it goes with either, ciphertext and all.
    @Test func aGrantIsShreddedWithItsServerOrWorkspace() throws {
        for removeServer in [true, false] {
            let t = try Self.prepared()
            let grant = try t.vault.saveOAuthLogin(
                Self.login, tokens: Self.tokens("shredded"), server: "api", workspace: "eng")
            let sealed = try t.vault.read {
                try $0.sealedSecret(
                    workspaceID: 1, server: "api", name: OAuthGrant.tokensName, version: grant.tokensVersion)
            }
            let ciphertext = try #require(sealed)
            if removeServer {
                try t.vault.removeServer("api")
            } else {
                try t.vault.deleteWorkspace("eng")
            }
            #expect(!(try t.fileBytes()).contains(subsequence: Array(ciphertext.suffix(32))))
        }
    }

    /// Whoever can write the database file cannot change which client (or issuer) a login uses unnoticed, nor make
    /// an authorization server's words stand for an audit entry that creates a record.
    @Test func theServersOAuthSettingsAreCoveredByTheAuditHead() throws {
        let t = try Self.prepared()
        #expect(try t.vault.verifyAudit() > 0)
        try t.tamper {
            try $0.execute(
                sql: #"UPDATE servers SET oauth = '{"clientID":"evil","scopes":[],"issuer":"https://evil.example"}'"#)
        }
        #expect(throws: VaultError.self) { try t.reopen().verifyAudit() }
    }

    @Test func anAuditEntrysQuotedTextCannotClaimARecord() throws {
        let t = try Self.prepared()
        var grant = try t.vault.saveOAuthLogin(Self.login, tokens: Self.tokens("one"), server: "api", workspace: "eng")
        var tokens = Self.tokens("two")
        tokens.needsLogin = true
        tokens.failure = "oauth.tokens v3 oauth.tokens v4"  // what a hostile authorization server might say
        grant = try #require(try t.vault.replaceOAuthTokens(tokens, of: grant, server: "api", workspace: "eng"))
        #expect(try t.vault.verifyAudit() > 0)
        // A version 4 planted by hand finds no entry that created it: the failure text does not count.
        try t.tamper {
            try $0.execute(
                sql: """
                    INSERT INTO secret_versions(workspace_id, server, name, version, sealed, created_at, created_by,
                        audit_seq)
                    SELECT workspace_id, server, name, 4, sealed, created_at, created_by, audit_seq FROM secret_versions
                    WHERE name = 'oauth.tokens' AND version = 2
                    """)
        }
        let unlinked = try t.reopen().read { try $0.rowsWithoutCreatingEntry() }
        #expect(unlinked == ["secret api/oauth.tokens v4 in eng"])
    }
}
