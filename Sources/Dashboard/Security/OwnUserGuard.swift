import Hummingbird
import NIOCore
import SocketTrust
import Synchronization

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
