import ChannelSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The gateway's HTTP/1.1 listener: reads requests one after another on each connection (keep-alive), hands each
/// to `respond`, and writes the answer, streaming server-sent events for as long as the stream lasts.
///
/// Requests are read by a channel handler on the event loop, and `respond` starts on that loop's stack
/// (`Task.immediate`): a call costs one task and the broker's answer, not a chain of async-sequence hand-offs.
/// A request with a body is shown to `admit` on its head first (`ExchangeHandler`). Connections over the limits of
/// `ConnectionTable` are answered 503 and closed without being read.
public struct HTTPServer: Sendable {
    /// Answers one request. The task running it is cancelled when the client disconnects first.
    public typealias Responder = @Sendable (HTTPRequest) async -> HTTPAnswer
    /// Looks at a request with a body before the body is read (its `body` is empty): an answer refuses it, and is
    /// sent without reading the body; nil lets the body be read and the request go to the responder, which checks
    /// it again in full.
    public typealias Admitter = @Sendable (HTTPRequest) async -> HTTPAnswer?

    let host: String
    let port: Int
    let maximumBodySize: Int
    let connections: ConnectionTable
    let logger: Logger
    /// Told what the server did to connections on its own (for `/metrics`).
    let onEvent: @Sendable (ConnectionEvent) -> Void

    init(
        host: String, port: Int, maximumBodySize: Int, connections: ConnectionTable, logger: Logger,
        onEvent: @escaping @Sendable (ConnectionEvent) -> Void = { _ in }
    ) {
        (self.host, self.port, self.maximumBodySize, self.logger) = (host, port, maximumBodySize, logger)
        (self.connections, self.onEvent) = (connections, onEvent)
    }

    /// Binds, calls `ready` with the bound port, and serves until cancelled; then closes every connection.
    func run(respond: @escaping Responder, admit: Admitter? = nil, ready: @Sendable (Int) -> Void) async throws {
        let open = OpenConnections()
        let (maximumBodySize, table, logger, onEvent) = (self.maximumBodySize, connections, self.logger, self.onEvent)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    let key = PeerKey.of(peer)
                    if let refusal = table.open(key) {
                        onEvent(.refused(refusal))
                        logger.debug("refused a connection over the limit", metadata: ["peer": "\(peer)"])
                        try channel.pipeline.syncOperations.addHandler(ConnectionRefuser())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in table.close(key) }
                    open.add(channel)
                    try Self.addHandlers(
                        to: channel.pipeline.syncOperations, respond: respond, admit: admit, peer: peer,
                        maximumBodySize: maximumBodySize, limits: table.limits, logger: logger, onEvent: onEvent)
                }
            }
            .bind(to: try SocketAddress(ipAddress: host, port: port)).get()
        ready(listener.localAddress?.port ?? port)
        try await withTaskCancellationHandler {
            try await listener.closeFuture.get()
        } onCancel: {
            listener.close(promise: nil)
            open.closeAll()
        }
    }

    /// Sets up one connection's pipeline: everything between the socket's bytes and `respond`.
    ///
    /// `package` for the HTTP fuzz target (Sources/Fuzz/HTTP), which drives the very same pipeline through an
    /// `EmbeddedChannel`; nothing else outside this module needs it.
    package static func addHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, respond: @escaping Responder, admit: Admitter? = nil,
        peer: String, maximumBodySize: Int, limits: ConnectionLimits = ConnectionLimits(), logger: Logger,
        onEvent: @escaping @Sendable (ConnectionEvent) -> Void = { _ in }
    ) throws {
        let exchange = ExchangeHandler(
            respond: respond, admit: admit, peer: peer, maximumBodySize: maximumBodySize, limits: limits,
            logger: logger, onSlowReader: { onEvent(.slowReader) }, onEvent: onEvent)
        try pipeline.addHandler(ArrivalObserver(exchange))
        // NIO's request decoder, and no other NIO HTTP handler: ExchangeHandler writes its own bytes.
        var headLimits = NIOHTTPDecoderLimitConfiguration()
        headLimits.maxHeaderFieldSize = limits.maximumHeadSize
        headLimits.maxHeaderListSize = limits.maximumHeadSize
        try pipeline.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: headLimits)))
        try pipeline.addHandler(exchange)
    }
}
