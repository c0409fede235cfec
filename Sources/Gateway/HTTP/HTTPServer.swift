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
    /// Called when an event stream is ended because its client stopped reading (for `/metrics`).
    let onSlowReader: @Sendable () -> Void

    public init(
        host: String, port: Int, maximumBodySize: Int, logger: Logger, onSlowReader: @escaping @Sendable () -> Void = {}
    ) {
        (self.host, self.port, self.maximumBodySize, self.logger) = (host, port, maximumBodySize, logger)
        self.onSlowReader = onSlowReader
    }

    /// Binds, calls `ready` with the bound port, and serves until cancelled; then closes every connection.
    public func run(respond: @escaping Responder, ready: @Sendable (Int) -> Void) async throws {
        let connections = OpenConnections()
        let (maximumBodySize, logger, onSlowReader) = (self.maximumBodySize, self.logger, self.onSlowReader)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    try Self.addHandlers(
                        to: channel.pipeline.syncOperations, respond: respond,
                        peer: channel.remoteAddress?.ipAddress ?? "unknown", maximumBodySize: maximumBodySize,
                        logger: logger, onSlowReader: onSlowReader)
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

    /// Sets up one connection's pipeline: everything between the socket's bytes and `respond`.
    ///
    /// `package` for the HTTP fuzz target (Sources/Fuzz/HTTP), which drives the very same pipeline through an
    /// `EmbeddedChannel`; nothing else outside this module needs it.
    package static func addHandlers(
        to pipeline: ChannelPipeline.SynchronousOperations, respond: @escaping Responder, peer: String,
        maximumBodySize: Int, logger: Logger, onSlowReader: @escaping @Sendable () -> Void = {}
    ) throws {
        // NIO's request decoder, and no other NIO HTTP handler: ExchangeHandler writes its own bytes.
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try pipeline.addHandler(
            ExchangeHandler(
                respond: respond, peer: peer, maximumBodySize: maximumBodySize, logger: logger,
                onSlowReader: onSlowReader))
    }
}

/// One connection's requests and answers, in order: a request that arrives while an answer is being written
/// (HTTP pipelining) waits for it, and while one waits the connection is not read further.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request read in full, waiting for its turn.
    private enum Exchange {
        case request(HTTPRequest)
        /// Refused as it was read (its body was over the limit).
        case refusal(HTTPAnswer, HTTPRequestHead)
    }

    private let respond: HTTPServer.Responder
    private let peer: String
    private let maximumBodySize: Int
    private let logger: Logger
    private let onSlowReader: @Sendable () -> Void

    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    /// Whether an answer is being produced or written; then requests read meanwhile wait in `waiting`.
    private var busy = false
    private var waiting: [Exchange] = []
    /// A read the channel asked for while a request waits: issued when the waiting ones are answered.
    private var heldRead = false
    /// The request being answered: cancelled (and its upstream call with it) when the client goes away.
    private var answering: Task<Void, Never>?
    /// Answers produced so far: tells `start` whether its request was answered on its own stack (then the next
    /// waiting request may have started there too, and `answering` is that one's).
    private var answersProduced = 0
    /// The event stream being written: ended when the client goes away.
    private var streaming: EventStream?
    private var isClosed = false

    init(
        respond: @escaping HTTPServer.Responder, peer: String, maximumBodySize: Int, logger: Logger,
        onSlowReader: @escaping @Sendable () -> Void
    ) {
        (self.respond, self.peer, self.maximumBodySize, self.logger) = (respond, peer, maximumBodySize, logger)
        self.onSlowReader = onSlowReader
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
            let exchange: Exchange =
                tooLarge
                ? .refusal(
                    .error(
                        .payloadTooLarge, id: nil, -32600,
                        "the request body is over the limit of \(maximumBodySize) bytes"), requestHead)
                : .request(HTTPRequest(head: requestHead, body: body, peer: peer))
            if busy {
                waiting.append(exchange)
            } else {
                start(exchange, context: context)
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            heldRead = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        answering?.cancel()
        streaming?.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A client that resets, or sends what is not HTTP: the second gets a 400 unless an answer is under way.
        logger.debug("connection ended", metadata: ["error": "\(error)"])
        if error is HTTPParserError, !busy, !isClosed {
            send(ResponseEncoding.badRequest, keepAlive: false, context: context)
        } else {
            context.close(promise: nil)
        }
    }

    private func start(_ exchange: Exchange, context: ChannelHandlerContext) {
        busy = true
        switch exchange {
        case .refusal(let answer, let requestHead):
            write(answer, head: requestHead, keepAlive: false, context: context)
        case .request(let request):
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let respond = self.respond
            let producedBefore = answersProduced
            let task = Task.immediate {
                let answer = await respond(request)
                bound.execute { handler, context in
                    handler.answersProduced += 1
                    handler.answering = nil
                    handler.write(answer, head: request.head, keepAlive: request.head.isKeepAlive, context: context)
                }
            }
            if answersProduced == producedBefore { answering = task }  // still being answered
        }
    }

    /// The answer is written: the next waiting request goes, or the connection reads again (or closes).
    private func finished(keepAlive: Bool, context: ChannelHandlerContext) {
        guard keepAlive, !isClosed else {
            // The connection closes after this answer: it stays busy, so nothing read meanwhile is started.
            waiting = []
            return
        }
        busy = false
        if !waiting.isEmpty {
            start(waiting.removeFirst(), context: context)
        }
        if waiting.isEmpty && heldRead {
            heldRead = false
            context.read()
        }
    }

    private func write(_ answer: HTTPAnswer, head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !isClosed else {
            if case .stream(_, let stream) = answer { stream.finish() }
            return
        }
        let version = head.version
        switch answer {
        case .full(let status, let headers, let body):
            guard
                let bytes = ResponseEncoding.full(
                    status: status, headers: headers, body: body, version: version, keepAlive: keepAlive,
                    omitBody: head.method == .HEAD)
            else { return refuseUnsendable(context: context) }
            send(bytes, keepAlive: keepAlive, context: context)
            finished(keepAlive: keepAlive, context: context)

        case .stream(var headers, let stream):
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, no-transform")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
            guard let streamHead = ResponseEncoding.streamHead(headers: headers, version: version, keepAlive: keepAlive)
            else {
                stream.finish()
                return refuseUnsendable(context: context)
            }
            context.writeAndFlush(wrapOutboundOut(streamHead), promise: nil)
            streaming = stream
            let (logger, peer, onSlowReader) = (self.logger, self.peer, self.onSlowReader)
            stream.onOverflow {
                logger.notice("ended an event stream whose client stopped reading", metadata: ["peer": "\(peer)"])
                onSlowReader()
            }
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
                    let chunk = ResponseEncoding.chunk(event, version: version)
                    guard (try? await channel.writeAndFlush(chunk).get()) != nil else { break }
                }
                stream.finish()
                keepAliveTask.cancel()
                bound.execute { handler, context in
                    handler.streaming = nil
                    guard !handler.isClosed else { return }
                    // An HTTP/1.0 stream has no chunked end: closing the connection ends it.
                    let end = ResponseEncoding.streamEnd(version: version)
                    let reusable = keepAlive && end != nil
                    handler.send(end ?? ByteBuffer(), keepAlive: reusable, context: context)
                    handler.finished(keepAlive: reusable, context: context)
                }
            }
        }
    }

    /// Writes and flushes; closes the connection after it unless it is kept alive.
    private func send(_ bytes: ByteBuffer, keepAlive: Bool, context: ChannelHandlerContext) {
        let written = context.writeAndFlush(wrapOutboundOut(bytes))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// An endpoint built a header with a line break or a bad name: a bug, answered 500 rather than sent.
    private func refuseUnsendable(context: ChannelHandlerContext) {
        logger.error("an answer had a header that cannot be sent; answered 500 instead")
        send(ResponseEncoding.internalError, keepAlive: false, context: context)
        finished(keepAlive: false, context: context)
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
