import ClientSetup

/// A token just issued (a new workspace's first token, or one created on its page): shown this once, with a copy
/// button and ready-to-paste configurations. The response is not cached, and the token is in no URL.
enum TokenPage {
    /// `owner` is the token's workspace, or nil for a client's token (which follows the active workspace).
    static func render(_ frame: PageFrame, owner workspace: String?, name: String, token: String, gateway: String?)
        -> HTML
    {
        let path = workspace.map { "/ws/\($0)/mcp" } ?? "/active/mcp"
        let url = "\(gateway ?? "http://127.0.0.1:8787")\(path)"
        let configs = ClientConfigs.text(name: workspace ?? "sealgate", url: url)
            .replacingOccurrences(of: ClientConfigs.tokenMark, with: token)
        let title: HTML =
            workspace.map { "Token <code>\(name)</code> of \($0)" } ?? "Token of the client <code>\(name)</code>"
        let back: HTML =
            workspace.map { "<a href=\"/w/\($0)#tokens\">Back to \($0)</a>" }
            ?? "<a href=\"/clients\">Back to the clients</a>"
        return frame.page(
            title: "Token \(name)",
            """
            <h1>\(title)</h1>
            <p role="status"><strong>Copy it now: it is shown this once.</strong> Sealgate keeps only a keyed hash of it.</p>
            <code class="token" id="issued-token">\(token)</code>
            <button type="button" data-copy="issued-token">Copy token</button>
            <h2>Client configurations</h2>
            <pre id="client-configs">\(configs)</pre>
            <button type="button" data-copy="client-configs" class="secondary">Copy configurations</button>
            <p>\(back)</p>
            """)
    }
}
