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
public struct HTTPServer: Sendable {
    /// Answers one request. The task running it is cancelled when the client disconnects first.
    public typealias Responder = @Sendable (HTTPRequest) async -> HTTPAnswer

    let host: String
    let port: Int
    let maximumBodySize: Int
    let logger: Logger

    public init(host: String, port: Int, maximumBodySize: Int, logger: Logger) {
        (self.host, self.port, self.maximumBodySize, self.logger) = (host, port, maximumBodySize, logger)
    }

    /// Binds, calls `ready` with the bound port, and serves until cancelled; then closes every connection.
    public func run(respond: @escaping Responder, ready: @Sendable (Int) -> Void) async throws {
        let connections = OpenConnections()
        let (maximumBodySize, logger) = (self.maximumBodySize, self.logger)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        ExchangeHandler(
                            respond: respond, peer: channel.remoteAddress?.ipAddress ?? "unknown",
                            maximumBodySize: maximumBodySize, logger: logger))
                }
            }
            .bind(to: try SocketAddress(ipAddress: host, port: port)).get()
        ready(listener.localAddress?.port ?? port)
        try await withTaskCancellationHandler {
            try await listener.closeFuture.get()
        } onCancel: {
            listener.close(promise: nil)
            connections.closeAll()
        }
    }
}

/// One connection's requests and answers. NIO's pipeline handler holds a pipelined request back until the answer
/// before it has ended, so one request is answered at a time.
private final class ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let respond: HTTPServer.Responder
    private let peer: String
    private let maximumBodySize: Int
    private let logger: Logger

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    /// The request being answered: cancelled (and its upstream call with it) when the client goes away.
    private var answering: Task<Void, Never>?
    private var isAnswering = false
    /// The event stream being written: ended when the client goes away.
    private var streaming: EventStream?
    private var isClosed = false

    init(respond: @escaping HTTPServer.Responder, peer: String, maximumBodySize: Int, logger: Logger) {
        (self.respond, self.peer, self.maximumBodySize, self.logger) = (respond, peer, maximumBodySize, logger)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let next):
            head = next
            body.clear()
            let declared = next.headers["Content-Length"].first.flatMap { Int($0) } ?? 0
            tooLarge = declared > maximumBodySize
        case .body(var chunk):
            if !tooLarge && body.readableBytes + chunk.readableBytes <= maximumBodySize {
                body.writeBuffer(&chunk)
            } else {
                tooLarge = true
            }
        case .end:
            guard let requestHead = head else { return }
            head = nil
            guard !tooLarge else {
                let answer = HTTPAnswer.error(
                    .payloadTooLarge, id: nil, -32600, "the request body is over the limit of \(maximumBodySize) bytes")
                return write(answer, version: requestHead.version, keepAlive: false, context: context)
            }
            let request = HTTPRequest(head: requestHead, body: body, peer: peer)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let respond = self.respond
            isAnswering = true
            let task = Task.immediate {
                let answer = await respond(request)
                bound.execute { handler, context in
                    handler.isAnswering = false
                    handler.answering = nil
                    handler.write(
                        answer, version: requestHead.version, keepAlive: requestHead.isKeepAlive, context: context)
                }
            }
            if isAnswering { answering = task }  // not answered on this stack already
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        answering?.cancel()
        streaming?.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A client that resets or sends garbage (NIO has already answered 400) ends here.
        logger.debug("connection ended", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func write(_ answer: HTTPAnswer, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !isClosed else {
            if case .stream(_, let stream) = answer { stream.finish() }
            return
        }
        switch answer {
        case .full(let status, var headers, let body):
            headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
                promise: nil)
            if !body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
            end(keepAlive: keepAlive, context: context)

        case .stream(var headers, let stream):
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, no-transform")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))),
                promise: nil)
            streaming = stream
            let keepAliveTask = context.eventLoop.scheduleRepeatedTask(
                initialDelay: .seconds(15), delay: .seconds(15)
            ) { _ in stream.keepAlive() }
            let channel = context.channel
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Task.immediate {
                for await event in stream.events {
                    stream.didWrite(event)
                    // Waiting for each write is the back-pressure: a slow reader holds events in the stream,
                    // which ends itself past its limits.
                    let part = HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: event)))
                    guard (try? await channel.writeAndFlush(part).get()) != nil else { break }
                }
                stream.finish()
                keepAliveTask.cancel()
                bound.execute { handler, context in
                    handler.streaming = nil
                    guard !handler.isClosed else { return }
                    handler.end(keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    /// Ends the response; closes the connection after it unless it is kept alive.
    private func end(keepAlive: Bool, context: ChannelHandlerContext) {
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

extension NIOLoopBound {
    /// Runs `body` with the value on its event loop: at once when already there, else queued to it.
    fileprivate func execute<A, B>(_ body: @escaping @Sendable (A, B) -> Void) where Value == (A, B) {
        if eventLoop.inEventLoop {
            body(value.0, value.1)
        } else {
            let bound = self
            eventLoop.execute { body(bound.value.0, bound.value.1) }
        }
    }
}
