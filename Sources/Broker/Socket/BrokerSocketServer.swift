import BrokerClient
import BrokerProtocol
import Glibc
import Logging
import MCPWire
import NIOCore
import NIOPosix

/// Serves the broker protocol on a Unix socket (0600). Each connection is one task: frames in, messages out
/// through an ordered queue, requests forwarded concurrently.
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
        if Self.someoneListens(on: path) {
            throw BrokerError(
                .refused, "a broker is already serving \(path)",
                remedy: "stop it first, or pass --socket with another path")
        }
        let previous = umask(0o077)  // the socket file is created 0600
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                let credentials: EventLoopFuture<PeerCredentials?> =
                    (channel as? SocketOptionProvider).map { provider in
                        provider.unsafeGetSocketOption(
                            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
                        )
                        .map { Optional($0) }.recover { _ in nil }
                    } ?? channel.eventLoop.makeSucceededFuture(nil)
                return credentials.flatMapThrowing { credentials in
                    (try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel), credentials)
                }
            }
        umask(previous)
        chmod(path, 0o600)
        ready()
        logger.info("broker listening", metadata: ["socket": "\(path)"])
        defer { unlink(path) }
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await (connection, credentials) in inbound {
                    group.addTask { await serve(connection, credentials: credentials) }
                }
            }
        }
    }

    /// Whether a live process accepts connections on the socket (a stale file from a crash does not).
    static func someoneListens(on path: String) -> Bool {
        (try? BlockingBrokerClient(path: path)) != nil  // any failure to connect means nobody serves it
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, credentials: PeerCredentials?) async {
        let id = await broker.connect()
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await converse(inbound: inbound, outbound: outbound, connection: id, credentials: credentials)
            }
        } catch {
            logger.debug("broker connection ended", metadata: ["error": "\(error)"])
        }
        await broker.disconnected(id)
    }

    /// One connection's conversation: the writer drains the queue; the reader decodes frames and dispatches them.
    private func converse(
        inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        connection id: Int, credentials: PeerCredentials?
    ) async throws {
        let (outgoing, queue) = AsyncStream<BrokerMessage>.makeStream()
        let sink = MessageSink(connection: id) { queue.yield($0) }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await message in outgoing { try await outbound.write(ByteBuffer(bytes: message.frame)) }
                outbound.finish()  // half-close: the peer reads everything, then sees end of stream
            }
            defer { queue.finish() }
            guard let credentials, credentials.isAllowed() else {
                let peer = credentials.map { "uid \($0.uid) pid \($0.pid)" } ?? "unknown"
                logger.warning("refused a broker client of another user", metadata: ["peer": "\(peer)"])
                sink.send(
                    .failure(
                        ref: nil, channel: nil, code: .refused,
                        message: "only processes of the broker's own user may connect"))
                queue.finish()
                // Read (and ignore) what the peer already sent before closing: a Unix socket closed with unread
                // input resets the connection, and the peer would lose the refusal.
                await drain(inbound, for: .seconds(2))
                return
            }
            var decoder = FrameDecoder()
            for try await chunk in inbound {
                decoder.append(chunk.readableBytesView)
                while let message = decodeNext(&decoder, sink: sink) {
                    guard let message else { return }  // framing lost: close
                    if case .open = message {
                        // Starting an upstream can take seconds: the connection keeps reading meanwhile.
                        group.addTask {
                            if let answer = await broker.handle(message, connection: id, sink: sink) {
                                sink.send(answer)
                            }
                        }
                    } else if case .request(let channel, let requestID, let method, let params) = message {
                        group.addTask {
                            let outcome = await broker.forward(
                                channel: channel, connection: id, id: requestID, method: method, params: params)
                            sink.send(.response(channel: channel, id: requestID, outcome: outcome))
                        }
                    } else if let answer = await broker.handle(message, connection: id, sink: sink) {
                        sink.send(answer)
                    }
                }
            }
        }
    }

    /// Consumes and drops input until the peer closes or `limit` passes.
    private func drain(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, for limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await _ in inbound {}
                } catch {
                    // The peer went away while we drained: nothing left to protect.
                }
            }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// The next message; `.some(nil)` when framing is lost (the connection must close); nil when more bytes are
    /// needed. Malformed frames are answered with an error frame and skipped.
    private func decodeNext(_ decoder: inout FrameDecoder, sink: MessageSink) -> BrokerMessage?? {
        while true {
            let object: JSONObject
            do {
                guard let next = try decoder.nextFrame() else { return nil }
                object = next
            } catch .frameTooLarge(let length) {
                sink.send(
                    .failure(
                        ref: nil, channel: nil, code: .malformedFrame,
                        message: "a frame of \(length) bytes is over the limit; closing"))
                return .some(nil)
            } catch {
                let reason = if case .malformedFrame(let why) = error { why } else { "\(error)" }
                sink.send(.failure(ref: nil, channel: nil, code: .malformedFrame, message: reason))
                continue
            }
            do {
                return .some(try BrokerMessage(object))
            } catch {
                sink.send(
                    .failure(
                        ref: object["ref"]?.stringValue, channel: object["channel"]?.intValue, code: error.code,
                        message: error.message))
            }
        }
    }
}
