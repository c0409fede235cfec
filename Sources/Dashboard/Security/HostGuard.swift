import HTTPTypes
import HostTrust
import Hummingbird

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
