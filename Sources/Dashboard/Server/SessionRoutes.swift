import Hummingbird
import Vault

/// Signing in with a one-time link, signing out, and what the pages' script polls.
struct SessionRoutes {
    let vault: DashboardVault
    let sessions: DashboardSessions
    /// Whether the dashboard is reached over HTTPS (then the cookie is `Secure`).
    let secure: Bool

    func add(to router: Router<DashboardContext>) {
        router.get("/login") { request, _ in await login(request) }
        router.post("/logout") { request, context in logout(context) }
        router.get("/live/generation") { _, _ in
            let generation = (try? await vault.run { vault throws(VaultError) in try vault.generation() }) ?? -1
            return Response.text("{\"generation\":\(generation)}", status: .ok, type: "application/json")
        }
        router.get(RouterPath(stringLiteral: Stylesheet.path)) { _, _ in
            Response.text(Stylesheet.text, status: .ok, type: "text/css; charset=utf-8")
        }
        router.get(RouterPath(stringLiteral: Script.path)) { _, _ in
            Response.text(Script.text, status: .ok, type: "text/javascript; charset=utf-8")
        }
    }

    private func login(_ request: Request) async -> Response {
        let refused = Response.html(
            PlainPage.render(
                title: "This link does not open the dashboard",
                """
                <p>A link works once, for a few minutes. Run <code>sealgate dashboard link</code> for a fresh one.</p>
                """),
            status: .forbidden)
        guard let presented = request.uri.queryParameters["link"].map(String.init) else { return refused }
        let link = SecretValue(unsafeFromString: presented)
        // `try?`: a vault that cannot be read redeems nothing (fails closed).
        let redeemed =
            (try? await vault.run { vault throws(VaultError) in try vault.redeemDashboardLink(link) }) ?? false
        guard redeemed else { return refused }
        let session = sessions.open()
        var response = Response.seeOther("/")
        response.setCookie(
            Cookie(
                name: SessionGuard.cookieName, value: session.id, path: "/", secure: secure, httpOnly: true,
                sameSite: .strict))
        return response
    }

    private func logout(_ context: DashboardContext) -> Response {
        if let session = context.session { sessions.close(session.id) }
        var response = Response.html(PlainPage.signedOut)
        response.setCookie(
            Cookie(
                name: SessionGuard.cookieName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true,
                sameSite: .strict))
        return response
    }
}
