import Vault

/// What reaches what: a workspace's FeatureSets (allow and deny globs over `server__tool` names; deny wins), and
/// the clients (global tokens) with their grants.
enum AccessPage {
    /// The FeatureSets section of a workspace's page.
    static func featureSets(_ frame: PageFrame, sets: [FeatureSet], base: String) -> HTML {
        let rows = sets.map { set -> HTML in
            let action: HTML =
                set.name == FeatureSet.allName
                ? "<span class=\"muted\">built in</span>"
                : frame.button(
                    "Delete", action: "\(base)/featuresets/delete", style: "danger",
                    confirm: "Delete the FeatureSet \(set.name)?", hidden: ["name": set.name])
            return """
                <tr><td>\(set.name)</td><td><code>\(set.allow.joined(separator: " "))</code></td>\
                <td><code>\(set.deny.joined(separator: " "))</code></td><td>\(action)</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No FeatureSet: a token without one reaches every tool (<code>all</code>).</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">FeatureSet</th><th scope="col">Allow</th>
            <th scope="col">Deny</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
        return """
            <h2 id="featuresets">FeatureSets</h2>\(table)
            <form method="post" action="\(base)/featuresets/create"><fieldset><legend>Create a FeatureSet</legend>
            \(frame.csrfField)<label for="fs-name">Name</label>
            <input type="text" id="fs-name" name="name" required maxlength="63" pattern="[a-z0-9-]+">
            <label for="fs-allow">Allow (globs over <code>server__tool</code>, separated by spaces)</label>
            <input type="text" id="fs-allow" name="allow" required placeholder="github__get_* time__*">
            <label for="fs-deny">Deny (wins over allow)</label>
            <input type="text" id="fs-deny" name="deny" placeholder="github__delete_*">
            <button type="submit">Create FeatureSet</button></fieldset></form>
            """
    }

    static func globs(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline }).map(String.init)
    }

    /// `/clients`: each client, its grants, create (its token shown once), grant, revoke a grant, revoke.
    static func clients(_ frame: PageFrame, clients: [ClientInfo], workspaces: [String]) -> HTML {
        let options = workspaces.map { slug -> HTML in "<option value=\"\(slug)\">\(slug)</option>" }
        let rows = clients.map { client -> HTML in
            let grants = client.grants.map { grant -> HTML in
                let sets = grant.featureSets.isEmpty ? "all" : grant.featureSets.joined(separator: ", ")
                return """
                    <li>\(grant.workspace) (\(sets)) \(frame.button(
                        "Revoke grant", action: "/clients/ungrant",
                        hidden: ["name": client.name, "workspace": grant.workspace]))</li>
                    """
            }
            return """
                <tr><td>\(client.name)</td><td><ul>\(grants)</ul>
                <form method="post" action="/clients/grant" class="inline">\(frame.csrfField)\
                <input type="hidden" name="name" value="\(client.name)">\
                <label for="grant:\(client.name)">Grant a workspace</label>\
                <select id="grant:\(client.name)" name="workspace">\(options)</select>\
                <label for="sets:\(client.name)">FeatureSets (empty: all)</label>\
                <input type="text" id="sets:\(client.name)" name="featureSets">\
                <button type="submit" class="secondary">Grant</button></form></td>
                <td>\(frame.button(
                    "Revoke", action: "/clients/revoke", style: "danger",
                    confirm: "Revoke the client \(client.name)? It is refused at once.", hidden: ["name": client.name]))</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No client yet. A client's token reaches every workspace it is granted.</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">Client</th><th scope="col">Grants</th>
            <th scope="col"><span class="muted">Action</span></th></tr></thead><tbody>\(rows)</tbody></table></div>
            """
        return frame.page(
            title: "Clients",
            """
            <h1>Clients</h1>\(table)
            <form method="post" action="/clients/create"><fieldset><legend>Create a client</legend>\(frame.csrfField)
            <label for="client-name">Name</label>
            <input type="text" id="client-name" name="name" required maxlength="63" pattern="[a-z0-9-]+">
            <button type="submit">Create client</button></fieldset></form>
            """)
    }
}
