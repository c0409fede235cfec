import MCPWire
import Synchronization

/// A server-sent event stream being written to one HTTP response: JSON-RPC messages and keep-alive comments.
///
/// Bounded in events and bytes: a client that stops reading loses its stream (it is ended), not the gateway's
/// memory.
public final class EventStream: Sendable {
    /// Events held for a slow reader before the stream is ended.
    static let bufferLimit = 4096
    /// Bytes held for a slow reader before the stream is ended (one event of any size is always let through).
    static let byteLimit = 8 << 20

    private struct State {
        var queued = 0
        var queuedBytes = 0
        var ended = false
        var onEnd: [@Sendable () -> Void] = []
        /// Whether the stream ended because its reader fell behind past the limits.
        var overflowed = false
        var onOverflow: (@Sendable () -> Void)?
    }

    let events: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let state = Mutex(State())

    public init() {
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        continuation.onTermination = { [weak self] _ in self?.ended() }
    }

    private func ended() {
        let actions = state.withLock { state in
            state.ended = true
            defer { state.onEnd = [] }
            return state.onEnd
        }
        for action in actions { action() }
    }

    /// Queues one JSON-RPC message as an `event: message`; false when the stream has ended.
    @discardableResult
    public func send(_ message: JSONRPCMessage) -> Bool {
        push("event: message\ndata: " + message.json.serializedString + "\n\n")
    }

    /// Queues a named event (the HTTP+SSE `endpoint` event).
    @discardableResult
    public func send(event: String, data: String) -> Bool {
        push("event: \(event)\ndata: \(data)\n\n")
    }

    /// A comment line, which clients ignore: keeps proxies and idle timers from closing a quiet stream.
    func keepAlive() {
        push(": ping\n\n")
    }

    /// The writer took `event` off the queue.
    func didWrite(_ event: String) {
        state.withLock {
            $0.queued -= 1
            $0.queuedBytes -= event.utf8.count
        }
    }

    /// Ends the stream after what is queued.
    public func finish() {
        continuation.finish()
    }

    /// Runs `action` once when the stream ends, for whatever reason (at once if it already has).
    public func onTermination(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if !state.ended { state.onEnd.append(action) }
            return state.ended
        }
        if already { action() }
    }

    /// Runs `action` once if the stream is ended for a reader that fell behind (at once if it already was): its
    /// writer reports it.
    func onOverflow(_ action: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if !state.overflowed { state.onOverflow = action }
            return state.overflowed
        }
        if already { action() }
    }

    @discardableResult
    private func push(_ text: String) -> Bool {
        let (overflow, report) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            state.queued += 1
            state.queuedBytes += text.utf8.count
            let overflow = state.queued > Self.bufferLimit || (state.queued > 1 && state.queuedBytes > Self.byteLimit)
            guard overflow, !state.overflowed else { return (overflow, nil) }
            state.overflowed = true
            return (true, state.onOverflow)
        }
        if overflow {
            report?()
            finish()
            return false
        }
        if case .enqueued = continuation.yield(text) { return true }
        return false
    }
}
