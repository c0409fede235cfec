/// What every page shows around its content: navigation, the session's CSRF token (for the forms and the script),
/// the vault generation the page was rendered at (for live updates), and a one-time message.
struct PageFrame {
    let csrf: String
    let generation: Int64
    let flash: DashboardSessions.Flash?

    /// A hidden field with the CSRF token: every form that changes something includes it.
    var csrfField: HTML { "<input type=\"hidden\" name=\"_csrf\" value=\"\(csrf)\">" }

    /// A one-button form that POSTs to `action`.
    func button(
        _ label: String, action: String, style: String = "secondary", confirm: String? = nil,
        hidden: [String: String] = [:]
    ) -> HTML {
        let confirmAttribute: HTML = confirm.map { " data-confirm=\"\($0)\"" } ?? .empty
        let fields = hidden.sorted { $0.key < $1.key }.map { field -> HTML in
            "<input type=\"hidden\" name=\"\(field.key)\" value=\"\(field.value)\">"
        }
        return """
            <form class="inline" method="post" action="\(action)"\(confirmAttribute)>\(csrfField)\(fields)\
            <button type="submit" class="\(style)">\(label)</button></form>
            """
    }

    func page(title: String, _ content: HTML) -> HTML {
        let message: HTML =
            flash.map { flash -> HTML in
                "<p class=\"flash \(flash.kind.rawValue)\" role=\"\(flash.kind == .failed ? "alert" : "status")\">\(flash.text)</p>"
            } ?? .empty
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="sealgate-generation" content="\(generation)">
            <title>\(title) · Sealgate</title>
            <link rel="stylesheet" href="\(Stylesheet.path)"><script src="\(Script.path)" defer></script>
            </head><body><a class="skip" href="#main">Skip to the content</a>
            <header><span class="brand">Sealgate</span>
            <nav aria-label="Main"><a href="/">Workspaces</a><a href="/registry">Server registry</a>\
            <a href="/clients">Clients</a><a href="/leases">Leases</a><a href="/audit">Audit log</a></nav>
            \(button("Sign out", action: "/logout"))</header>
            <main id="main" tabindex="-1">\(message)\(content)</main></body></html>
            """
    }
}

/// Pages shown without a session: no navigation, no script.
enum PlainPage {
    static func render(title: String, _ content: HTML) -> HTML {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) · Sealgate</title><link rel="stylesheet" href="\(Stylesheet.path)"></head>
        <body><main id="main"><h1>\(title)</h1>\(content)</main></body></html>
        """
    }

    static let signedOut = render(
        title: "Sign in",
        """
        <p>This dashboard opens with a one-time link. Run <code>sealgate dashboard link</code> on the machine that runs
        <code>sealgate serve</code>, and open the link it prints.</p>
        """)
}
