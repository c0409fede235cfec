import HTTPTypes
import HostTrust
import Hummingbird

/// Lets a request through only with a live session, except the few paths open to anyone (the one-time link, the
/// stylesheet). A request that changes something must also come from a page of this dashboard: its form carries
/// the session's CSRF token, and a browser that says where it comes from (`Origin`, `Sec-Fetch-Site`) must say
/// here. The session cookie is `SameSite=Strict` besides, so another site's page cannot even send it (another port
/// of 127.0.0.1 is the same site, though: `OwnUserGuard` is what stops a local user's page there).
struct SessionGuard: RouterMiddleware {
    typealias Context = DashboardContext
    let sessions: DashboardSessions

    static let cookieName = "sealgate_dashboard"
    /// What a page's script asks on its own (its poll, and the page again after a change): not the user's activity,
    /// so an open tab nobody looks at does not keep its session. The header is the script's; the poll's path is
    /// counted out whatever the headers say.
    static func isLiveUpdate(_ request: Request) -> Bool {
        request.uri.path == "/live/generation" || request.headers[liveHeader] == "1"
    }
    static let liveHeader = HTTPField.Name("X-Sealgate-Live")!
    /// Paths served without a session.
    static let open: Set<String> = ["/login", Stylesheet.path]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if Self.open.contains(request.uri.path) { return try await next(request, context) }
        guard let id = request.cookies[Self.cookieName]?.value,
            let session = sessions.session(id, touch: !Self.isLiveUpdate(request))
        else {
            return request.method == .get
                ? .html(PlainPage.signedOut, status: .unauthorized)
                : .text("Sign in first: open a link from `sealgate dashboard link`.\n", status: .unauthorized)
        }
        var context = context
        context.session = session
        guard request.method == .get || request.method == .head else {
            var request = request
            guard Self.comesFromHere(request) else {
                return .text("Cross-site requests are refused.\n", status: .forbidden)
            }
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            var bytes = Array(buffer: body)
            let presented = Form(body: bytes)?.text("_csrf") ?? ""
            Form.wipe(&bytes)
            guard RandomToken.equal(presented, session.csrf) else {
                return .text(
                    "The form was stale or forged (no valid CSRF token); reload the page.\n", status: .forbidden)
            }
            return try await next(request, context)
        }
        return try await next(request, context)
    }

    /// A browser names the page a request comes from; when it does, it must be this dashboard.
    static func comesFromHere(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin" { return false }
        if let origin = request.headers[.origin] {
            guard let authority = request.head.authority,
                origin == "http://\(authority)" || origin == "https://\(authority)"
            else { return false }
        }
        return true
    }
}
