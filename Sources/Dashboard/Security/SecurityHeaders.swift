import HTTPTypes
import Hummingbird
import Logging
import Vault

/// Headers on every response, errors included: a Content-Security-Policy that runs only the dashboard's own script
/// and style (no inline script, no framing, forms posting only here), no caching of pages that show tokens, no
/// `Referer` to another site, no MIME sniffing. `same-origin`, not `no-referrer`: under `no-referrer` a browser
/// sends `Origin: null` with a form's POST, which `SessionGuard` must refuse (found by driving Chromium). A
/// one-time link never travels on: `/login` answers with a redirect, and a page never holds one. An error thrown below becomes a plain page
/// here, so that it carries these headers too and says nothing about the inside.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = DashboardContext
    let logger: Logger

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Headers HTTPTypes has no name for.
    static let named: [(HTTPField.Name, String)] = [
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin"),
    ].map { (HTTPField.Name($0.0)!, $0.1) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as VaultError {
            // A page of something that is not there (or no longer): the vault's message says what, and what to do.
            let status: HTTPResponse.Status = error.code == .notFound ? .notFound : .internalServerError
            let text = error.code == .notFound ? error.message : "The vault could not be read."
            response = .html(
                PlainPage.render(title: status.reasonPhrase, "<p>\(text)</p><p><a href=\"/\">Workspaces</a></p>"),
                status: status)
        } catch let error as HTTPError {
            let text = error.status == .notFound ? "Nothing here." : "The request could not be served."
            response = .html(PlainPage.render(title: error.status.reasonPhrase, "<p>\(text)</p>"), status: error.status)
        } catch {
            logger.error("a dashboard request failed", metadata: ["error": "\(type(of: error))"])
            response = .html(
                PlainPage.render(title: "Error", "<p>The request could not be served.</p>"),
                status: .internalServerError)
        }
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        for (name, value) in Self.named { response.headers[name] = value }
        return response
    }
}
