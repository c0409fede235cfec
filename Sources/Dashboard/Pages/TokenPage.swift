import ClientSetup

/// A token just issued (a new workspace's first token, or one created on its page): shown this once, with a copy
/// button and ready-to-paste configurations. The response is not cached, and the token is in no URL.
enum TokenPage {
    static func render(_ frame: PageFrame, workspace: String, name: String, token: String, gateway: String?) -> HTML {
        let url = "\(gateway ?? "http://127.0.0.1:8787")/ws/\(workspace)/mcp"
        let configs = ClientConfigs.text(name: workspace, url: url)
            .replacingOccurrences(of: ClientConfigs.tokenMark, with: token)
        return frame.page(
            title: "Token \(name)",
            """
            <h1>Token <code>\(name)</code> of \(workspace)</h1>
            <p role="status"><strong>Copy it now: it is shown this once.</strong> Sealgate keeps only a keyed hash of it.</p>
            <code class="token" id="issued-token">\(token)</code>
            <button type="button" data-copy="issued-token">Copy token</button>
            <h2>Client configurations</h2>
            <pre id="client-configs">\(configs)</pre>
            <button type="button" data-copy="client-configs" class="secondary">Copy configurations</button>
            <p><a href="/w/\(workspace)#tokens">Back to \(workspace)</a></p>
            """)
    }
}
