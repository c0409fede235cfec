import HTTPTypes
import HostTrust
import Hummingbird
import Logging
import SocketTrust
import Synchronization
import Vault

/// Headers on every response, errors included: a Content-Security-Policy that runs only the dashboard's own script
/// and style (no inline script, no framing, forms posting only here), no caching of pages that show tokens, no
/// `Referer` (a one-time link must not travel on), no MIME sniffing. An error thrown below becomes a plain page
/// here, so that it carries these headers too and says nothing about the inside.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = DashboardContext
    let logger: Logger

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Headers HTTPTypes has no name for.
    static let named: [(HTTPField.Name, String)] = [
        ("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer"), ("Cross-Origin-Opener-Policy", "same-origin"),
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

/// The DNS-rebinding defence: a request is served only when its one `Host` names this machine (`AllowedHosts`).
struct HostGuard: RouterMiddleware {
    typealias Context = DashboardContext
    let hosts: AllowedHosts
    static let host = HTTPField.Name("Host")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        // HTTP/1.1's first `Host` becomes the authority; a second one stays among the headers.
        guard let authority = request.head.authority, request.headers[values: HostGuard.host].isEmpty,
            hosts.allows(value: authority)
        else {
            return .text("This dashboard answers only to this machine's own names.\n", status: .misdirectedRequest)
        }
        return try await next(request, context)
    }
}

/// Only the user who runs the dashboard may use it. It listens on loopback, where every local user can connect, and
/// a browser sends its cookies to every port of 127.0.0.1: a page another user serves on some port can collect the
/// session cookie. So each connection is looked up in the kernel's socket table on its first request, and one whose
/// socket belongs to another user (or cannot be found as established) is refused, cookie or not. The answer is kept
/// for the connection's life (a socket's owner never changes), so a kept-alive page costs one lookup.
final class OwnUserGuard: RouterMiddleware, Sendable {
    typealias Context = DashboardContext
    let uid: UInt32
    private let admitted = Mutex<Set<ObjectIdentifier>>([])

    init(uid: UInt32) { self.uid = uid }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let channel = context.channel else {
            return .text("This dashboard serves only the user who runs it.\n", status: .forbidden)
        }
        let connection = ObjectIdentifier(channel)
        if !admitted.withLock({ $0.contains(connection) }) {
            guard let peer = context.peer, let local = context.local,
                LoopbackOwners.uidOfPeer(peer: peer, local: local) == uid
            else {
                return .text("This dashboard serves only the user who runs it.\n", status: .forbidden)
            }
            admitted.withLock { _ = $0.insert(connection) }
            channel.closeFuture.whenComplete { _ in self.admitted.withLock { _ = $0.remove(connection) } }
        }
        return try await next(request, context)
    }
}
