import NIOCore
import NIOHTTP1
import Synchronization

/// One accepted TCP connection: reads requests one after another (HTTP/1.1 keep-alive),
/// hands each to the router and writes its answer before reading the next.
struct HTTPConnection: Sendable {
    /// Bodies above this are refused with 413; MCP messages are small.
    static let maximumBodySize = 8 << 20

    let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    /// Completes when the socket closes, even while the connection is only writing.
    let closed: EventLoopFuture<Void>

    /// Serves until the client disconnects; errors end this connection only.
    func serve(with router: Router) async {
        // A stream being written is ended as soon as the socket closes, so a listen, GET or /sse
        // stream whose client went away is noticed without waiting for the next write to fail.
        let streaming = StreamSlot()
        closed.whenComplete { _ in streaming.current.withLock { $0 }?.close() }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let next):
                        head = next
                        body.clear()
                    case .body(var chunk):
                        if body.readableBytes <= Self.maximumBodySize { body.writeBuffer(&chunk) }
                    case .end:
                        guard let requestHead = head else { continue }
                        let request = HTTPRequest(head: requestHead, body: body)
                        let answer =
                            body.readableBytes > Self.maximumBodySize
                            ? HTTPAnswer.text(.payloadTooLarge, "Payload Too Large")
                            : await router.answer(request)
                        if case .stream(_, let stream, _) = answer { streaming.current.withLock { $0 = stream } }
                        let status = try await write(answer, version: requestHead.version, to: outbound)
                        streaming.current.withLock { $0 = nil }
                        logStderr("\(requestHead.method) \(request.path) \(status.code)\n")
                        guard requestHead.isKeepAlive else { return }
                    }
                }
            }
        } catch {
            // A client that resets or sends garbage (NIO has already answered 400) ends here.
        }
    }

    /// Writes `answer`, returning its status; a stream is written event by event, with a
    /// `: ping` comment every 15 s while it stays quiet.
    private func write(
        _ answer: HTTPAnswer, version: HTTPVersion, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> HTTPResponseStatus {
        switch answer {
        case .full(let status, var headers, let body):
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            try await outbound.write(.head(HTTPResponseHead(version: version, status: status, headers: headers)))
            if body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(body))) }
            try await outbound.write(.end(nil))
            return status

        case .stream(var headers, let stream, let prelude):
            defer { stream.close() }
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, no-transform")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
            try await outbound.write(.head(HTTPResponseHead(version: version, status: .ok, headers: headers)))
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    if !Task.isCancelled { stream.push(.comment("ping")) }
                }
            }
            defer { keepAlive.cancel() }
            for event in prelude {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: event.text))))
            }
            while let event = await stream.next() {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(string: event.text))))
            }
            try await outbound.write(.end(nil))
            return .ok
        }
    }
}

/// The stream a connection is writing, if any, for the close callback to end.
private final class StreamSlot: Sendable {
    let current = Mutex<EventStream?>(nil)
}
