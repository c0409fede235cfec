import BrokerClient
import BrokerProtocol
import ChannelSupport
import Glibc
import Logging
import MCPWire
import NIOCore
import NIOPosix
import SocketTrust

/// Serves the broker protocol on a Unix socket (0600). Connections live on the broker's event loop: frames are
/// decoded as they are read and handed to the broker on that thread, and its answers are written from there.
public struct BrokerSocketServer: Sendable {
    let path: String
    let broker: CredentialBroker
    let logger: Logger

    public init(path: String, broker: CredentialBroker, logger: Logger) {
        self.path = path
        self.broker = broker
        self.logger = logger
    }

    /// Binds the socket and serves until cancelled. `ready` is called once the socket accepts connections.
    public func run(ready: @Sendable () -> Void = {}) async throws {
        // Its clients refuse such a socket; refusing here says so before anyone connects.
        if let problem = SocketPlacement.problem(with: path) {
            throw BrokerError(
                .refused, "refusing to serve \(path): \(problem)",
                remedy: "pass --socket with a path in a directory only you can write (the default is HOME/broker.sock)")
        }
        if Self.someoneListens(on: path) {
            throw BrokerError(
                .refused, "a broker is already serving \(path)",
                remedy: "stop it first, or pass --socket with another path")
        }
        let open = OpenConnections()
        let previous = umask(0o077)  // the socket file is created 0600
        let server: any Channel
        do {
            server = try await ServerBootstrap(group: broker.loop)
                .serverChannelOption(.backlog, value: 256)
                // Past 4 MiB unread by the client, upstream notifications for it are dropped (see MessageSink).
                .childChannelOption(.writeBufferWaterMark, value: .init(low: 1 << 20, high: 4 << 20))
                .childChannelInitializer { [broker, logger] channel in
                    open.add(channel)
                    return PeerCredentials.of(channel: channel).flatMapThrowing { credentials in
                        let handler: any ChannelHandler =
                            if let credentials, credentials.isAllowed() {
                                BrokerConnectionHandler(broker: broker)
                            } else {
                                RefusingHandler(peer: credentials, logger: logger)
                            }
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        } catch {
            umask(previous)
            throw error
        }
        umask(previous)
        chmod(path, 0o600)
        ready()
        logger.info("broker listening", metadata: ["socket": "\(path)"])
        defer { unlink(path) }
        await withTaskCancellationHandler {
            try? await server.closeFuture.get()
        } onCancel: {
            server.close(promise: nil)
            open.closeAll()
        }
    }

    /// Whether a live process accepts connections on the socket (a stale file from a crash does not).
    static func someoneListens(on path: String) -> Bool {
        (try? BlockingBrokerClient(path: path)) != nil  // any failure to connect means nobody serves it
    }
}

/// One connection of the broker's own user: decodes frames and hands each message to the broker, on the loop.
///
/// A large frame is parsed on the thread pool (`FrameReader`), so that one workspace's 4 MiB object does not hold up
/// every other workspace's calls on the broker's one loop; the frames of its lane that follow it wait for it, the
/// others go on.
private final class BrokerConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let broker: CredentialBroker
    private let reader = FrameReader()
    private var writer: LaneWriter<FrameLane>?
    private var connection: Int?

    init(broker: CredentialBroker) {
        self.broker = broker
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        // Answers to requests read together, and upstream lines read together, leave in one write; an upstream's
        // 4 MiB result is serialized off the loop, ahead of what its channel sends next.
        let writer = LaneWriter<FrameLane>(channel)
        self.writer = writer
        connection = broker.assumeIsolated { broker in
            // Congested too when frames pile up behind a large one still being serialized.
            broker.connect(isCongested: { !channel.isWritable || writer.held > 64 }) { message in writer.write(message)
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let connection { broker.assumeIsolated { $0.connectionEnded(connection) } }
        connection = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard connection != nil else { return }
        do {
            try reader.read(unwrapInboundIn(data), context: context) { [self] object in
                deliver(object, context: context)
            } malformed: { [self] reason in
                send(.failure(ref: nil, channel: nil, code: .malformedFrame, message: reason), context: context)
            }
        } catch {
            let length = if case .frameTooLarge(let length) = error { length } else { 0 }
            let refusal = BrokerMessage.failure(
                ref: nil, channel: nil, code: .malformedFrame,
                message: "a frame of \(length) bytes is over the limit; closing")
            // Flushed before the close, past whatever else waits: framing is lost, order no longer matters.
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: refusal.frame)), promise: nil)
            context.close(promise: nil)
        }
    }

    /// Hands one frame's message to the broker, or answers why it is not one.
    private func deliver(_ object: JSONObject, context: ChannelHandlerContext) {
        guard let connection else { return }  // the connection ended while a large frame was parsed
        do {
            let message = try BrokerMessage(object)
            broker.assumeIsolated { $0.receive(message, connection: connection) }
        } catch {
            send(
                .failure(
                    ref: object["ref"]?.stringValue, channel: object["channel"]?.intValue, code: error.code,
                    message: error.message),
                context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)  // the peer reset the connection; channelInactive cleans up
    }

    /// Sends an answer of the connection's own (a failure) in its lane, behind a large frame of that lane still
    /// being serialized.
    private func send(_ message: BrokerMessage, context: ChannelHandlerContext) {
        guard let writer else { return context.writeAndFlush(NIOAny(ByteBuffer(bytes: message.frame)), promise: nil) }
        writer.write(message)
    }
}

/// A peer of another user: one refusal, then the connection closes. What the peer already sent is read and dropped
/// first (for up to two seconds): a Unix socket closed with unread input resets, and the peer would lose the refusal.
private final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let peer: PeerCredentials?
    private let logger: Logger

    init(peer: PeerCredentials?, logger: Logger) {
        self.peer = peer
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let who = peer.map { "uid \($0.uid) pid \($0.pid)" } ?? "unknown"
        logger.warning("refused a broker client of another user", metadata: ["peer": "\(who)"])
        let refusal = BrokerMessage.failure(
            ref: nil, channel: nil, code: .refused, message: "only processes of the broker's own user may connect")
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: refusal.frame)), promise: nil)
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
