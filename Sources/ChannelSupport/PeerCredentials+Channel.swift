import Glibc
import NIOCore
import SocketTrust

extension PeerCredentials {
    /// The peer of a connected Unix-socket channel (`SO_PEERCRED`), or nil when it cannot be read.
    public static func of(channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        guard let provider = channel as? SocketOptionProvider else { return channel.eventLoop.makeSucceededFuture(nil) }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            .map { Optional($0) }.recover { _ in nil }
    }
}
