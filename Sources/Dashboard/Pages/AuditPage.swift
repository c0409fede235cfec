import Vault

/// `/audit`: the audit log, newest first, filtered by workspace, event or actor; and `verify`, with its result.
enum AuditPage {
    struct Filter: Sendable {
        var workspace: String?
        var event: String?
        var actor: String?

        func admits(_ entry: AuditEntry) -> Bool {
            (event.map { entry.event.contains($0) } ?? true) && (actor.map { entry.actor.contains($0) } ?? true)
        }
    }

    static let shown = 500

    static func render(_ frame: PageFrame, entries: [AuditEntry], filter: Filter, workspaces: [String]) -> HTML {
        let rows = entries.reversed().filter(filter.admits).prefix(shown).map { entry -> HTML in
            """
            <tr><td>\(entry.seq)</td><td>\(WorkspacePage.date(entry.at))</td><td>\(entry.actor)</td>\
            <td><code>\(entry.event)</code></td><td>\(entry.workspace ?? "–")</td><td>\(entry.target ?? "")</td>\
            <td>\(entry.detail ?? "")</td></tr>
            """
        }
        let options = ([""] + workspaces).map { slug -> HTML in
            let selected: HTML = slug == (filter.workspace ?? "") ? " selected" : .empty
            return "<option value=\"\(slug)\"\(selected)>\(slug.isEmpty ? "every workspace" : slug)</option>"
        }
        return frame.page(
            title: "Audit log",
            """
            <h1>Audit log</h1>
            \(frame.button("Verify the chain", action: "/audit/verify", style: "primary"))
            <form method="get" action="/audit"><fieldset><legend>Filter</legend>
            <label for="audit-workspace">Workspace</label><select id="audit-workspace" name="workspace">\(options)</select>
            <label for="audit-event">Event contains</label>
            <input type="text" id="audit-event" name="event" value="\(filter.event ?? "")">
            <label for="audit-actor">Actor contains</label>
            <input type="text" id="audit-actor" name="actor" value="\(filter.actor ?? "")">
            <button type="submit">Filter</button></fieldset></form>
            <p class="muted">Newest first; at most \(shown) entries.</p>
            <div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th>
            <th scope="col">Event</th><th scope="col">Workspace</th><th scope="col">Target</th><th scope="col">Detail</th>
            </tr></thead><tbody>\(Array(rows))</tbody></table></div>
            """)
    }
}
