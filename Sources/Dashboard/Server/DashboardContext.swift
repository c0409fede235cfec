import Hummingbird
import NIOCore

/// One request's context: the signed-in session, once `SessionGuard` has found it.
struct DashboardContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var session: DashboardSessions.Session?
    /// The connection and its two ends (address, port), for `OwnUserGuard`.
    let channel: (any Channel)?
    let peer: (address: String, port: Int)?
    let local: (address: String, port: Int)?

    /// Forms are small; a larger body is refused before it is read.
    var maxUploadSize: Int { DashboardServer.maximumBodySize }

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        func end(_ address: SocketAddress?) -> (address: String, port: Int)? {
            guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
            return (ip, port)
        }
        channel = source.channel
        peer = end(source.channel.remoteAddress)
        local = end(source.channel.localAddress)
    }
}
