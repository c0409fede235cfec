import Vault

/// `/registry`: the server definitions every workspace can install; add, remove. A definition holds `${NAME}`
/// references, never values.
struct RegistryPage {
    static func render(_ frame: PageFrame, servers: [ServerDefinition]) -> HTML {
        let rows = servers.map { server -> HTML in
            let reach: HTML =
                switch server.transport {
                case .stdio(let command, let args): "<code>\(([command] + args).joined(separator: " "))</code>"
                case .http(let url, _): "<code>\(url)</code>"
                }
            let flags = [server.defaultEnabled ? "default-enabled" : nil, server.shared ? "shared" : nil]
                .compactMap { $0 }.joined(separator: ", ")
            return """
                <tr><td>\(server.slug)</td><td>\(reach)</td><td>\(flags)</td><td>\(frame.button(
                    "Remove", action: "/registry/remove", style: "danger",
                    confirm: "Remove \(server.slug) from every workspace and destroy its secrets?",
                    hidden: ["server": server.slug]))</td></tr>
                """
        }
        let table: HTML =
            rows.isEmpty
            ? "<p>No server defined yet.</p>"
            : """
            <div class="scroll"><table><thead><tr><th scope="col">Server</th><th scope="col">Runs or reaches</th>
            <th scope="col">Options</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
        return frame.page(
            title: "Server registry",
            """
            <h1>Server registry</h1>\(table)
            <form method="post" action="/registry/add"><fieldset><legend>Add a server</legend>\(frame.csrfField)
            <label for="server-slug">Slug</label>
            <input type="text" id="server-slug" name="slug" required maxlength="63" pattern="[a-z0-9-]+">
            <fieldset><legend>Transport</legend>
            <div class="check"><input type="radio" id="transport-stdio" name="transport" value="stdio" checked>
            <label for="transport-stdio">A program speaking MCP on stdio</label></div>
            <div class="check"><input type="radio" id="transport-http" name="transport" value="http">
            <label for="transport-http">An HTTP MCP endpoint</label></div></fieldset>
            <label for="server-command">Program (stdio)</label><input type="text" id="server-command" name="command">
            <label for="server-args">Arguments (stdio; one per line)</label>
            <textarea id="server-args" name="args" rows="3"></textarea>
            <label for="server-url">URL (HTTP)</label><input type="text" id="server-url" name="url">
            <label for="server-headers">Headers (HTTP; one <code>Name: value</code> per line)</label>
            <textarea id="server-headers" name="headers" rows="2"></textarea>
            <label for="server-env">Environment (one <code>K=V</code> per line; <code>${NAME}</code> is a secret)</label>
            <textarea id="server-env" name="env" rows="3"></textarea>
            <div class="check"><input type="checkbox" id="server-default" name="defaultEnabled">
            <label for="server-default">Installed in every workspace</label></div>
            <div class="check"><input type="checkbox" id="server-shared" name="shared">
            <label for="server-shared">One upstream session serves every client session</label></div>
            <button type="submit">Add server</button></fieldset></form>
            """)
    }

    /// The definition a submitted form describes.
    static func definition(_ form: Form) throws(DashboardFailure) -> ServerDefinition {
        let slug = try form.required("slug", what: "a slug")
        func lines(_ name: String) -> [String] {
            (form.text(name) ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmingWhiteSpace }
                .filter { !$0.isEmpty }
        }
        do {
            let environment = try lines("env").map { line throws(VaultError) in
                try ServerDefinition.EnvironmentEntry(line: line)
            }
            let transport: ServerDefinition.Transport
            if form.text("transport") == "http" {
                let headers = try lines("headers").map { line throws(VaultError) in
                    try ServerDefinition.Header(line: line)
                }
                transport = .http(url: try form.required("url", what: "the URL of an HTTP server"), headers: headers)
            } else {
                transport = .stdio(
                    command: try form.required("command", what: "the program of a stdio server"), args: lines("args"))
            }
            return ServerDefinition(
                slug: slug, transport: transport, environment: environment,
                defaultEnabled: form.isChecked("defaultEnabled"), shared: form.isChecked("shared"))
        } catch let error as VaultError {
            throw DashboardFailure(error)
        } catch let failure as DashboardFailure {
            throw failure
        } catch {
            throw DashboardFailure.invalid("the server definition could not be read")
        }
    }
}
