import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The gateway's HTTP/1.1 listener: reads requests one after another on each connection (keep-alive), hands each
/// to `respond`, and writes the answer, streaming server-sent events for as long as the stream lasts.
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

    /// Binds, calls `ready` with the bound port, and serves until cancelled.
    public func run(respond: @escaping Responder, ready: @Sendable (Int) -> Void) async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(to: try SocketAddress(ipAddress: host, port: port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                    return Connection(
                        channel: try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel),
                        closed: channel.closeFuture, peer: peer, maximumBodySize: maximumBodySize, logger: logger)
                }
            }
        ready(listener.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await connection.serve(respond) }
                }
            }
        }
    }
}

/// What a connection is doing, for its close callback.
private struct InProgress {
    var stream: EventStream?
    var isClosed = false
}

/// One accepted TCP connection.
private struct Connection: Sendable {
    let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    let closed: EventLoopFuture<Void>
    let peer: String
    let maximumBodySize: Int
    let logger: Logger

    func serve(_ respond: @escaping HTTPServer.Responder) async {
        // When the socket closes, the request being answered is cancelled (its upstream call with it): requests
        // are answered inline, in this child task, which the group cancels once the close is seen.
        let closed = self.closed
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await converse(respond) }
            group.addTask { try? await closed.get() }  // fails only if the channel failed to close: ends anyway
            await group.next()
            group.cancelAll()
        }
    }

    private func converse(_ respond: @escaping HTTPServer.Responder) async {
        // A stream being written when the socket closes is ended.
        let current = Mutex<InProgress>(InProgress())
        closed.whenComplete { _ in
            let stream = current.withLock { state in
                state.isClosed = true
                return state.stream
            }
            stream?.finish()
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
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
                        guard let requestHead = head else { continue }
                        head = nil
                        let answer: HTTPAnswer
                        if tooLarge {
                            answer = .error(
                                .payloadTooLarge, id: nil, -32600,
                                "the request body is over the limit of \(maximumBodySize) bytes")
                        } else {
                            answer = await respond(HTTPRequest(head: requestHead, body: body, peer: peer))
                        }
                        let keepAlive = requestHead.isKeepAlive && !tooLarge
                        try await write(answer, version: requestHead.version, keepAlive: keepAlive, to: outbound) {
                            stream in
                            if current.withLock({ state in
                                state.stream = stream
                                return state.isClosed
                            }) {
                                stream.finish()
                            }
                        }
                        current.withLock { $0.stream = nil }
                        guard keepAlive else { return }
                    }
                }
            }
        } catch {
            // A client that resets or sends garbage (NIO has already answered 400) ends here.
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(
        _ answer: HTTPAnswer, version: HTTPVersion, keepAlive: Bool,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, streaming: (EventStream) -> Void
    ) async throws {
        switch answer {
        case .full(let status, var headers, let body):
            headers.replaceOrAdd(name: "Content-Length", value: String(body.count))
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            // One write for the whole response: one trip to the event loop, one flush.
            var parts: [HTTPServerResponsePart] = [
                .head(HTTPResponseHead(version: version, status: status, headers: headers))
            ]
            if !body.isEmpty { parts.append(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            parts.append(.end(nil))
            try await outbound.write(contentsOf: parts)

        case .stream(var headers, let stream):
            streaming(stream)
            defer { stream.finish() }
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, no-transform")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
            try await outbound.write(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))  // cancelled when the stream ends
                    if !Task.isCancelled { stream.keepAlive() }
                }
            }
            defer { keepAlive.cancel() }
            for await event in stream.events {
                stream.didWrite(event)
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: event))))
            }
            try await outbound.write(.end(nil))
        }
    }
}
