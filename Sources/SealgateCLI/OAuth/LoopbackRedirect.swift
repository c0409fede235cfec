import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The loopback redirect URI of RFC 8252 §7.3: a listener on 127.0.0.1 that takes the browser's redirect after the
/// operator approved, hands its query to the login, and tells the browser to go back to the terminal.
final class LoopbackRedirect: Sendable {
    let port: Int
    private let channel: any Channel
    private let queries: AsyncStream<String>

    var redirectURI: String { "http://127.0.0.1:\(port)/callback" }

    private init(port: Int, channel: any Channel, queries: AsyncStream<String>) {
        (self.port, self.channel, self.queries) = (port, channel, queries)
    }

    /// Listens on 127.0.0.1:`port` (0: any free port).
    static func listen(port: Int) async throws -> LoopbackRedirect {
        let (queries, continuation) = AsyncStream<String>.makeStream()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(CallbackHandler(deliver: { continuation.yield($0) }))
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        return LoopbackRedirect(port: channel.localAddress?.port ?? port, channel: channel, queries: queries)
    }

    /// The query of the first request to `/callback`, or nil when `timeout` passed first.
    func nextQuery(timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await query in self.queries { return query }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func close() async {
        try? await channel.close()
    }
}

/// Answers `GET /callback?…` with a short page and passes the query on; anything else gets a 404.
private final class CallbackHandler: ChannelInboundHandler, @unchecked Sendable {
    // `@unchecked`: used only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let deliver: @Sendable (String) -> Void
    private var head: HTTPRequestHead?

    init(deliver: @escaping @Sendable (String) -> Void) { self.deliver = deliver }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let isCallback = head.method == .GET && parts.first == "/callback"
            if isCallback { deliver(parts.count > 1 ? String(parts[1]) : "") }
            respond(context, status: isCallback ? .ok : .notFound)
        }
    }

    private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus) {
        let page =
            status == .ok
            ? "<!doctype html><meta charset=utf-8><title>Sealgate</title><p>Sealgate received the authorization response. You can close this tab and go back to the terminal.</p>"
            : "not found"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: status == .ok ? "text/html; charset=utf-8" : "text/plain")
        headers.add(name: "Content-Length", value: "\(page.utf8.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "Referrer-Policy", value: "no-referrer")
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: page)))), promise: nil)
        let channel = context.channel  // closed once the page is out: the answer says `Connection: close`
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
