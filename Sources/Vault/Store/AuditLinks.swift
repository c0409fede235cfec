/// How each security-relevant row names the audit entry that created it (its `audit_seq` column).
///
/// `matches` is an SQL condition over the row (by its table name) and an audit entry `a`: true when `a` is an
/// entry that creates such a row. `audit verify` requires, for every row, that its `audit_seq` names a matching
/// entry; the `v3-audit-links` migration linked the rows of older vaults with the same rules, so a rule changes
/// only together with a migration that relinks.
enum AuditLinks {
    struct Rule {
        /// The table whose rows are linked.
        let table: String
        /// An SQL expression naming the row in an error message (names only, never a value).
        let name: String
        /// The SQL condition on the row and an audit entry `a`.
        let matches: String
    }

    private static func workspaceSlug(_ table: String) -> String {
        "(SELECT slug FROM workspaces WHERE id = \(table).workspace_id)"
    }

    private static let clientName = "(SELECT name FROM tokens WHERE id = grants.token_id)"

    static let rules: [Rule] = [
        Rule(
            table: "workspaces", name: "'workspace ' || workspaces.slug",
            matches: "a.event = 'workspace.create' AND a.workspace = workspaces.slug"),
        Rule(
            table: "servers", name: "'server ' || servers.slug",
            matches: "a.event = 'server.add' AND a.target = servers.slug"),
        Rule(
            table: "installations",
            name: "'installation of ' || installations.server || ' in ' || \(workspaceSlug("installations"))",
            matches: """
                a.event = 'mcp.install' AND a.workspace = \(workspaceSlug("installations"))
                AND a.target = installations.server
                """),
        Rule(
            table: "featuresets",
            name: "'FeatureSet ' || featuresets.name || ' in ' || \(workspaceSlug("featuresets"))",
            matches: """
                a.event = 'featureset.create' AND a.workspace = \(workspaceSlug("featuresets"))
                AND a.target = featuresets.name
                """),
        Rule(
            table: "tokens",
            name: """
                CASE tokens.kind WHEN 'client' THEN 'client ' || tokens.name
                ELSE 'token ' || tokens.name || ' in ' || coalesce(\(workspaceSlug("tokens")), '?') END
                """,
            // A workspace's first token is created by `workspace.create`, which names it `token default`.
            matches: """
                CASE tokens.kind
                WHEN 'client' THEN a.event = 'client.create' AND a.workspace IS NULL AND a.target = tokens.name
                ELSE a.workspace = \(workspaceSlug("tokens")) AND (
                    (a.event = 'token.create' AND a.target = tokens.name)
                    OR (a.event = 'workspace.create' AND a.target = 'token ' || tokens.name))
                END
                """),
        Rule(
            table: "grants", name: "'grant of client ' || \(clientName) || ' in ' || \(workspaceSlug("grants"))",
            matches: """
                a.event = 'client.grant' AND a.workspace = \(workspaceSlug("grants")) AND a.target = \(clientName)
                """),
        Rule(
            table: "secret_versions",
            name: """
                'secret ' || secret_versions.server || '/' || secret_versions.name || ' v' || secret_versions.version
                || ' in ' || \(workspaceSlug("secret_versions"))
                """,
            // `secret.set` says `vN`, `secret.rollback` says `vN from vM`; the OAuth events target the server and name
            // each record they write as `oauth.NAME vN` in their detail, before a `;` (what follows quotes an
            // authorization server, which must not be able to name a record).
            matches: """
                a.workspace = \(workspaceSlug("secret_versions")) AND (
                    (a.event IN ('secret.set', 'secret.rollback')
                    AND a.target = secret_versions.server || '/' || secret_versions.name
                    AND (a.detail = 'v' || secret_versions.version
                        OR substr(a.detail, 1, length(secret_versions.version) + 2) = 'v' || secret_versions.version || ' '))
                    OR (a.event IN ('oauth.login', 'oauth.refresh', 'oauth.needs_login', 'oauth.register')
                    AND a.target = secret_versions.server AND secret_versions.name LIKE 'oauth.%'
                    AND instr(
                        ' ' || substr(a.detail, 1, instr(a.detail || ';', ';') - 1) || ' ',
                        ' ' || secret_versions.name || ' v' || secret_versions.version || ' ') > 0))
                """),
    ]
}
