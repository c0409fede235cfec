import Analytics
import Vault

/// `/`: every workspace with its URL, the active one marked, its servers, tokens, and the last 24 hours' calls and
/// errors; create, make active, delete (typed confirmation).
struct OverviewPage {
    struct Row: Sendable {
        let workspace: WorkspaceInfo
        let servers: Int
        let tokens: Int
        let calls: Int
        let errors: Int
    }

    /// Everything the page shows, read in one visit to the vault.
    static func rows(_ vault: SecretVault, now: Int64) throws(VaultError) -> [Row] {
        let usage = try vault.usage(since: (now - 86_400) * 1000)  // milliseconds
        return try vault.workspaces().map { workspace throws(VaultError) in
            let used = usage.filter { $0.workspace == workspace.slug }
            return Row(
                workspace: workspace, servers: try vault.installedServers(workspace: workspace.slug).1.count,
                tokens: try vault.workspaceTokens(workspace: workspace.slug).count,
                calls: used.reduce(0) { $0 + $1.calls }, errors: used.reduce(0) { $0 + $1.errors })
        }
    }

    static func render(_ frame: PageFrame, rows: [Row], gateway: String?) -> HTML {
        let body = rows.map { row -> HTML in
            let slug = row.workspace.slug
            let url = gateway.map { "\($0)/ws/\(slug)/mcp" }
            let active: HTML =
                row.workspace.isActive
                ? "<span class=\"badge\">active</span>"
                : frame.button("Make active", action: "/w/\(slug)/activate")
            return """
                <tr><td><a href="/w/\(slug)">\(row.workspace.name)</a><br><span class="muted">\(slug)</span></td>
                <td>\(url.map { HTML("<code>\($0)</code>") } ?? "<span class=\"muted\">gateway not running</span>")</td>
                <td>\(active)</td><td>\(row.servers)</td><td>\(row.tokens)</td><td>\(row.calls)</td><td>\(row.errors)</td>
                </tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No workspace yet: create the first below.</p>"
            : """
            <div class="scroll"><table><caption class="muted">Calls and errors over the last 24 hours</caption>
            <thead><tr><th scope="col">Workspace</th><th scope="col">MCP URL</th><th scope="col">Active</th>
            <th scope="col">Servers</th><th scope="col">Tokens</th><th scope="col">Calls</th><th scope="col">Errors</th>
            </tr></thead><tbody>\(body)</tbody></table></div>
            """
        return frame.page(
            title: "Workspaces",
            """
            <h1>Workspaces</h1>\(table)
            <form method="post" action="/workspaces"><fieldset><legend>Create a workspace</legend>\(frame.csrfField)
            <label for="ws-name">Name</label><input type="text" id="ws-name" name="name" required maxlength="100">
            <label for="ws-slug">Slug (optional: made from the name)</label>
            <input type="text" id="ws-slug" name="slug" maxlength="63" pattern="[a-z0-9-]*"
              aria-describedby="ws-slug-help">
            <p id="ws-slug-help" class="muted">Lowercase letters, digits and dashes; it is part of the workspace's URL.</p>
            <button type="submit">Create workspace</button></fieldset></form>
            """)
    }
}
