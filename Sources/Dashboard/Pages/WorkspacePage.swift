import BrokerProtocol
import Foundation
import Vault

/// `/w/SLUG`: one workspace's servers (install, remove), secrets (names, versions, history; set a value in a
/// write-only field; roll back; remove) and tokens (create, shown once; revoke). No value of a secret is ever read
/// here: the vault calls this page makes return names, versions and dates only.
struct WorkspacePage {
    struct Model: Sendable {
        let workspace: WorkspaceInfo
        let installed: [InstalledServer]
        let registry: [ServerDefinition]
        let secrets: [SecretInfo]
        let history: [String: [SecretVersionInfo]]
        let tokens: [TokenInfo]
        let featureSets: [FeatureSet]
    }

    static func model(_ vault: SecretVault, slug: String) throws(VaultError) -> Model {
        let (workspace, installed) = try vault.installedServers(workspace: slug)
        let secrets = try vault.secrets(server: nil, workspace: slug).1
        var history: [String: [SecretVersionInfo]] = [:]
        for secret in secrets {
            history["\(secret.server)/\(secret.name)"] = try vault.secretHistory(
                server: secret.server, name: secret.name, workspace: slug)
        }
        return Model(
            workspace: workspace, installed: installed, registry: try vault.servers(), secrets: secrets,
            history: history, tokens: try vault.workspaceTokens(workspace: slug),
            featureSets: try vault.featureSets(workspace: slug).1)
    }

    static func render(_ frame: PageFrame, _ model: Model, states: [ServerLiveState], gateway: String?) -> HTML {
        let slug = model.workspace.slug
        let base = "/w/\(slug)"
        let url: HTML = gateway.map { "<p>MCP URL: <code>\($0)/ws/\(slug)/mcp</code></p>" } ?? .empty
        return frame.page(
            title: model.workspace.name,
            """
            <h1>\(model.workspace.name) <span class="muted">(\(slug))</span></h1>\(url)
            <p><a href="\(base)/analytics">Analytics</a> · <a href="/audit?workspace=\(slug)">Audit log</a></p>
            \(servers(frame, model, states: states, base: base))\(secrets(frame, model, base: base))\(tokens(frame, model, base: base))
            \(AccessPage.featureSets(frame, sets: model.featureSets, base: base))
            <h2>Delete this workspace</h2>
            <form method="post" action="\(base)/delete"><fieldset><legend>Delete \(slug)</legend>\(frame.csrfField)
            <p>This destroys its secrets, tokens and installations for good.</p>
            <label for="confirm-delete">Type the slug, <code>\(slug)</code>, to confirm</label>
            <input type="text" id="confirm-delete" name="confirm" autocomplete="off" required>
            <button type="submit" class="danger">Delete workspace</button></fieldset></form>
            """)
    }

    private static func servers(_ frame: PageFrame, _ model: Model, states: [ServerLiveState], base: String)
        -> HTML
    {
        let rows = model.installed.map { server -> HTML in
            let definition = server.definition
            let live = states.first { $0.server == definition.slug }
            let state = live?.state ?? .stopped
            let detail = live.map { "\($0.instances) up, \($0.starts) starts, \($0.failures) failures" } ?? ""
            let transport = if case .stdio = definition.transport { "stdio" } else { "http" }
            let remove: HTML =
                server.viaDefault
                ? "<span class=\"muted\">default-enabled</span>"
                : frame.button(
                    "Remove", action: "\(base)/servers/remove",
                    confirm: "Remove \(definition.slug) from this workspace?",
                    hidden: ["server": definition.slug])
            let stateClass = "state-" + state.rawValue.replacingOccurrences(of: " ", with: "-")
            return """
                <tr><td>\(definition.slug)</td><td>\(transport)</td>\
                <td><span class="\(stateClass)">\(state.rawValue)</span> <span class="muted">\(detail)</span></td>\
                <td>\(remove)</td></tr>
                """
        }
        let installed = Set(model.installed.map(\.definition.slug))
        let choices = model.registry.filter { !installed.contains($0.slug) }.map { server -> HTML in
            "<option value=\"\(server.slug)\">\(server.slug)</option>"
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No server installed.</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">Server</th><th scope="col">Transport</th>
            <th scope="col">State</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
        let install: HTML =
            choices.isEmpty
            ? "<p class=\"muted\">Every server of the registry is installed here; add more under Server registry.</p>"
            : """
            <form method="post" action="\(base)/servers/install"><fieldset><legend>Install a server</legend>
            \(frame.csrfField)<label for="install-server">Server</label>
            <select id="install-server" name="server">\(choices)</select>
            <button type="submit">Install</button></fieldset></form>
            """
        return "<h2 id=\"servers\">Servers</h2>\(table)\(install)"
    }

    private static func secrets(_ frame: PageFrame, _ model: Model, base: String) -> HTML {
        let rows = model.secrets.filter { !$0.name.contains(".") }.map { secret -> HTML in
            let key = "\(secret.server)/\(secret.name)"
            let versions = (model.history[key] ?? []).map { version -> HTML in
                let origin: HTML = version.rolledBackFrom.map { " (copy of v\($0))" } ?? .empty
                let current: HTML = version.isCurrent ? " <span class=\"badge\">current</span>" : .empty
                let rollback: HTML =
                    version.isCurrent
                    ? .empty
                    : frame.button(
                        "Roll back to v\(version.version)", action: "\(base)/secrets/rollback",
                        hidden: ["server": secret.server, "name": secret.name, "version": String(version.version)])
                return
                    "<li>v\(version.version)\(origin), \(date(version.createdAt)) by \(version.createdBy)\(current) \(rollback)</li>"
            }
            return """
                <tr><td>\(secret.server)</td><td><code>\(secret.name)</code></td><td>v\(secret.currentVersion)</td>
                <td>\(date(secret.updatedAt))</td><td><details><summary>\(secret.versionCount) kept</summary><ul>\(versions)</ul>
                </details></td><td>\(frame.button(
                    "Remove", action: "\(base)/secrets/remove", style: "danger",
                    confirm: "Destroy every version of \(secret.name)?", hidden: ["server": secret.server, "name": secret.name]))</td></tr>
                """
        }
        let servers = model.installed.map { server -> HTML in
            "<option value=\"\(server.definition.slug)\">\(server.definition.slug)</option>"
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No secret set.</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">Server</th><th scope="col">Name</th>
            <th scope="col">Version</th><th scope="col">Updated</th><th scope="col">History</th>
            <th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        let form: HTML =
            servers.isEmpty
            ? "<p class=\"muted\">Install a server to set its secrets.</p>"
            : """
            <form method="post" action="\(base)/secrets/set" autocomplete="off"><fieldset>
            <legend>Set a secret (a new version)</legend>\(frame.csrfField)
            <label for="secret-server">Server</label><select id="secret-server" name="server">\(servers)</select>
            <label for="secret-name">Name</label>
            <input type="text" id="secret-name" name="name" required pattern="[A-Za-z_][A-Za-z0-9_]*" maxlength="128">
            <label for="secret-value">Value (write-only: never shown again)</label>
            <input type="password" id="secret-value" name="value" required autocomplete="new-password">
            <button type="submit">Set secret</button></fieldset></form>
            """
        return "<h2 id=\"secrets\">Secrets</h2>\(table)\(form)"
    }

    private static func tokens(_ frame: PageFrame, _ model: Model, base: String) -> HTML {
        let rows = model.tokens.map { token -> HTML in
            let sets = token.featureSets.isEmpty ? "all" : token.featureSets.joined(separator: ", ")
            let expires = token.expiresAt.map(date) ?? "never"
            let used = token.lastUsedAt.map(date) ?? "never"
            return """
                <tr><td>\(token.name)</td><td>\(sets)</td><td>\(date(token.createdAt))</td><td>\(expires)</td>
                <td>\(used)</td><td>\(frame.button(
                    "Revoke", action: "\(base)/tokens/revoke", style: "danger",
                    confirm: "Revoke \(token.name)? Clients using it are refused at once.", hidden: ["name": token.name]))</td></tr>
                """
        }
        return """
            <h2 id="tokens">Tokens</h2>
            <div class="scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">FeatureSets</th>
            <th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th>
            <th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>\(rows)</tbody></table></div>
            <form method="post" action="\(base)/tokens/create"><fieldset><legend>Create a token</legend>\(frame.csrfField)
            <label for="token-name">Name</label>
            <input type="text" id="token-name" name="name" required maxlength="63" pattern="[a-z0-9-]+">
            <label for="token-sets">FeatureSets (comma-separated; empty: all)</label>
            <input type="text" id="token-sets" name="featureSets">
            <label for="token-ttl">Expires after (days; empty: never)</label>
            <input type="number" id="token-ttl" name="days" min="1" max="3650">
            <button type="submit">Create token</button></fieldset></form>
            """
    }

    static func date(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) + " UTC"
    }
}
