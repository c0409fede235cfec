import BrokerProtocol
import MCPWire
import Synchronization

/// A 2025-era client session (Streamable HTTP with `Mcp-Session-Id`, or HTTP+SSE): created by `initialize` or by
/// opening `/sse`, bound to the token that created it, with its own upstream sessions in the broker.
final class LegacySession: Sendable {
    let id: String
    let target: Target
    /// The token that started it (its hash says which one: a revoked token's name can be given to a new token).
    let token: AuthenticatedToken
    /// Requests sent to the client (for its upstreams) and their answers.
    let clientRequests = ClientRequests()
    /// Its broker session: each 2025-era session gets its own upstreams (unless a server is shared).
    var brokerSession: String { Self.brokerSessionPrefix + id }
    static let brokerSessionPrefix = "s-"

    private struct State {
        var streams: [EventStream] = []
        /// Requests in flight by the client's id, for `notifications/cancelled`.
        var inFlight: [RequestID: @Sendable () -> Void] = [:]
        var onEnd: [@Sendable () -> Void] = []
        var lastActive = ContinuousClock.Instant.now
        /// Set by `logging/setLevel`; until then every upstream log message is relayed.
        var logLevel: LogLevel?
        /// Resources subscribed to, by server and the URI that server knows: the address the client used.
        var subscriptions: [ResourceKey: String] = [:]
        var ended = false
    }

    private let state = Mutex(State())

    init(target: Target, token: AuthenticatedToken) {
        self.id = SessionID.make()
        self.target = target
        self.token = token
    }

    /// Whether the session was started with this very token.
    func isHeld(by token: AuthenticatedToken) -> Bool {
        token.isSameToken(as: self.token)
    }

    /// Adds a stream on which server-initiated messages go (the GET stream, or the `/sse` stream).
    func attach(_ stream: EventStream) {
        let ended = state.withLock { state in
            if !state.ended { state.streams.append(stream) }
            return state.ended
        }
        if ended { return stream.finish() }
        stream.onTermination { [weak self] in
            self?.state.withLock { state in state.streams.removeAll { $0 === stream } }
        }
    }

    /// Sends a message on one attached stream (the first that takes it: MCP forbids sending one message on several
    /// streams of a session); false when none took it.
    @discardableResult
    func push(_ message: JSONRPCMessage) -> Bool {
        let streams = state.withLock { $0.streams }
        return streams.contains { $0.send(message) }
    }

    func touch() {
        state.withLock { $0.lastActive = .now }
    }

    /// How long the session has been idle without a stream.
    func idleFor(now: ContinuousClock.Instant) -> Duration? {
        state.withLock { $0.streams.isEmpty ? now - $0.lastActive : nil }
    }

    func setLogLevel(_ level: LogLevel) {
        state.withLock { $0.logLevel = level }
    }

    /// Whether an upstream log message at `level` goes to this session.
    func wantsLog(at level: LogLevel) -> Bool {
        state.withLock { state in state.logLevel.map { level >= $0 } ?? true }
    }

    /// A resource of a server of a workspace, as that server names it.
    struct ResourceKey: Hashable {
        let workspace: String
        let server: String
        let uri: String
    }

    /// Remembers (or with `address` nil, forgets) a resource subscription, which the client calls `address`.
    func setSubscription(_ resource: ResourceKey, address: String?) {
        state.withLock { $0.subscriptions[resource] = address }
    }

    /// The address the client subscribed to `resource` with; nil when it did not.
    func subscribedAddress(_ resource: ResourceKey) -> String? {
        state.withLock { $0.subscriptions[resource] }
    }

    /// Remembers how to cancel request `id` while it runs.
    func track(_ id: RequestID, cancel: @escaping @Sendable () -> Void) {
        state.withLock { $0.inFlight[id] = cancel }
    }

    func untrack(_ id: RequestID) {
        _ = state.withLock { $0.inFlight.removeValue(forKey: id) }
    }

    /// The client cancelled request `id`: the task waiting for it is cancelled, which cancels it upstream.
    func cancel(_ id: RequestID) {
        state.withLock { $0.inFlight[id] }?()
    }

    /// Whether `end` was called.
    var hasEnded: Bool {
        state.withLock { $0.ended }
    }

    /// Runs `action` when the session ends.
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.onEnd.append(action) }
    }

    /// Ends the session: streams close, in-flight requests are cancelled.
    func end() {
        let (streams, cancellations, actions) = state.withLock { state in
            state.ended = true
            defer { (state.streams, state.inFlight, state.onEnd) = ([], [:], []) }
            return (state.streams, Array(state.inFlight.values), state.onEnd)
        }
        for cancel in cancellations { cancel() }
        for stream in streams { stream.finish() }
        for action in actions { action() }
    }
}

/// Unguessable session ids: 128 random bits, hex.
enum SessionID {
    static func make() -> String { UnguessableID.make() }
}
