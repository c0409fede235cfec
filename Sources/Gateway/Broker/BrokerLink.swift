import BrokerProtocol
import ChannelSupport
import MCPWire
import NIOCore
import NIOPosix
import SocketTrust
import Synchronization

/// The gateway's connection to the broker socket: sends frames, matches answers to the calls waiting for them, and
/// hands everything else (snapshots, notifications, channel closures) to `events`.
///
/// Answers are matched on the event loop that reads them, so a call costs no actor hop on the way back.
public final class BrokerLink: Sendable {
    /// What the broker says without being asked.
    public enum Event: Sendable {
        case snapshot(ConfigSnapshot)
        case notification(channel: Int, method: String, params: JSONValue?)
        case upstreamRequest(channel: Int, id: RequestID, method: String, params: JSONValue?)
        case closed(channel: Int, reason: String)
        /// The connection ended; every channel is gone.
        case disconnected
    }

    private struct Waiting {
        var byRef: [String: CheckedContinuation<BrokerMessage, any Error>] = [:]
        /// Called with the answer to a ref on the loop that reads it, before the next frame is read.
        var observers: [String: @Sendable (BrokerMessage) -> Void] = [:]
        var byRequest: [Int: CheckedContinuation<Outcome, any Error>] = [:]
        var nextNumber = 0
        var isOpen = true
    }

    private let channel: any Channel
    /// Requests sent in one turn of the loop (by concurrent clients) leave in one write.
    private let writer: LaneWriter<FrameLane>
    private let waiting = Mutex(Waiting())
    private let eventSink: @Sendable (Event) -> Void

    private init(channel: any Channel, events: @escaping @Sendable (Event) -> Void) {
        self.channel = channel
        self.writer = LaneWriter(channel)
        self.eventSink = events
    }

    /// Connects to the broker at `path` and says hello; the first snapshot arrives as an event. Refuses
    /// (`BrokerRefusal`) a socket another user could have put there and a broker that runs as another user: the
    /// gateway sends the broker every bearer token it checks and trusts its answers.
    public static func connect(path: String, events: @escaping @Sendable (Event) -> Void) async throws -> BrokerLink {
        if let problem = SocketPlacement.problem(with: path) { throw BrokerRefusal(reason: problem) }
        let holder = LinkHolder()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FrameHandler(holder: holder))
                }
            }
            .connect(unixDomainSocketPath: path).get()
        let peer = try await PeerCredentials.of(channel: channel).get()
        guard let peer, peer.isAllowed() else {
            try? await channel.close()
            throw BrokerRefusal(
                reason: peer.map { "the process serving it (pid \($0.pid)) runs as uid \($0.uid), not as this user" }
                    ?? "cannot tell who serves it")
        }
        let link = BrokerLink(channel: channel, events: events)
        holder.link.withLock { $0 = link }
        channel.closeFuture.whenComplete { _ in link.connectionEnded() }
        link.send(.hello(protocolVersion: BrokerMessage.protocolVersion, client: "sealgate-gateway/0.1"))
        return link
    }

    /// A fresh number, unique on this connection: request ids and refs are made from it.
    public func nextNumber() -> Int {
        waiting.withLock {
            $0.nextNumber += 1
            return $0.nextNumber
        }
    }

    /// Whether the connection is still up (a message sent now may still be lost if it ends meanwhile).
    public var isOpen: Bool { waiting.withLock { $0.isOpen } }

    /// Sends a message that expects no answer. A heavy payload (a client's 4 MiB arguments) is serialized on the
    /// thread pool, not on the event loop the calling task runs on: the loops are the gateway's concurrency executor,
    /// shared by every client. Its channel's later frames wait for it (a cancellation stays behind its request).
    public func send(_ message: BrokerMessage) {
        writer.write(message)
    }

    /// Sends a message carrying `ref` and waits for the answer with that ref; with a `timeout`, a broker that does
    /// not answer in time fails the call with `GatewayError.brokerUnavailable` (a later answer is dropped).
    ///
    /// `observe` sees the answer first, on the loop that reads it, before any later frame is handed on as an event:
    /// what it records is in place for the events that follow (an `opened` channel's first notification).
    public func call(
        ref: String, _ message: BrokerMessage, timeout: Duration? = nil,
        observe: (@Sendable (BrokerMessage) -> Void)? = nil
    ) async throws -> BrokerMessage {
        try await awaitAnswer(to: message) {
            $0.byRef[ref] = $1
            $0.observers[ref] = observe
        } registered: {
            guard let timeout else { return }
            let (seconds, attoseconds) = timeout.components
            channel.eventLoop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) {
                [self] in
                let expired = waiting.withLock { state in
                    state.observers[ref] = nil
                    return state.byRef.removeValue(forKey: ref)
                }
                expired?.resume(throwing: GatewayError.brokerUnavailable)
            }
        }
    }

    /// Sends an MCP request under the gateway's own id `number` and waits for its outcome.
    public func request(channel number: Int, id: Int, method: String, params: JSONValue?) async throws -> Outcome {
        try await awaitAnswer(to: .request(channel: number, id: RequestID(id), method: method, params: params)) {
            $0.byRequest[id] = $1
        }
    }

    /// Registers the continuation with `register` (under the lock, unless the connection has ended), calls
    /// `registered`, then sends.
    private func awaitAnswer<Answer>(
        to message: BrokerMessage,
        register: (inout Waiting, CheckedContinuation<Answer, any Error>) -> Void,
        registered: () -> Void = {}
    ) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = waiting.withLock { state -> Bool in
                guard state.isOpen else { return false }
                register(&state, continuation)
                return true
            }
            guard accepted else { return continuation.resume(throwing: GatewayError.brokerUnavailable) }
            registered()
            send(message)
        }
    }

    /// Ends the connection (the broker then closes its channels).
    public func close() {
        channel.close(promise: nil)
    }

    /// Routes one message from the broker: to the call waiting for it, or out as an event.
    fileprivate func receive(_ message: BrokerMessage) {
        switch message {
        case .response(_, let id, let outcome):
            guard case .number(let lexeme) = id, let number = Int(lexeme) else { return }
            waiting.withLock { $0.byRequest.removeValue(forKey: number) }?.resume(returning: outcome)
        case .opened(let ref, _, _, _), .renewed(let ref, _), .authenticated(let ref, _), .leases(let ref, _),
            .revoked(let ref, _), .statistics(let ref, _), .failure(let ref?, _, _, _):
            let (waiter, observer) = waiting.withLock {
                ($0.byRef.removeValue(forKey: ref), $0.observers.removeValue(forKey: ref))
            }
            observer?(message)
            waiter?.resume(returning: message)
        case .snapshot(let snapshot):
            eventSink(.snapshot(snapshot))
        case .notification(let channel, let method, let params):
            eventSink(.notification(channel: channel, method: method, params: params))
        case .upstreamRequest(let channel, let id, let method, let params):
            eventSink(.upstreamRequest(channel: channel, id: id, method: method, params: params))
        case .closed(let channel, let reason):
            eventSink(.closed(channel: channel, reason: reason))
        default:
            break  // welcome, errors about notifications (the gateway sends none it must hear about), client messages
        }
    }

    private func connectionEnded() {
        let pending = waiting.withLock { state in
            state.isOpen = false
            defer { (state.byRef, state.byRequest, state.observers) = ([:], [:], [:]) }
            return (Array(state.byRef.values), Array(state.byRequest.values))
        }
        for continuation in pending.0 { continuation.resume(throwing: GatewayError.brokerUnavailable) }
        for continuation in pending.1 { continuation.resume(throwing: GatewayError.brokerUnavailable) }
        eventSink(.disconnected)
    }
}

/// Lets the pipeline handler, created before the link, reach it.
private final class LinkHolder: Sendable {
    let link = Mutex<BrokerLink?>(nil)
}

/// Cuts the byte stream into frames and passes each decoded message to the link.
private final class FrameHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let holder: LinkHolder
    private let reader = FrameReader()

    init(holder: LinkHolder) {
        self.holder = holder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let holder = self.holder
        do {
            // An upstream's 4 MiB result is parsed on the thread pool, not on this loop, which also runs other
            // clients' tasks; the frames of its channel that follow it wait for it.
            try reader.read(unwrapInboundIn(data), context: context) { object in
                guard let message = try? BrokerMessage(object) else { return }  // unknown frames: ignored
                holder.link.withLock { $0 }?.receive(message)
            } malformed: { _ in
                context.close(promise: nil)  // the broker only sends well-formed frames
            }
        } catch {
            context.close(promise: nil)  // framing is lost
        }
    }
}

/// Why the gateway would not talk to what listens on the broker socket path.
public struct BrokerRefusal: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "refusing the broker socket: \(reason)" }
}
