import ChannelSupport
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
        /// Events waiting for a heavy message serialized off the loop, and the end waiting behind them.
        var order = LaneQueue<Int, Pending>()
        /// `finish` was called: nothing more is accepted, though what came before may still be on its way.
        var finishing = false
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

    /// What waits behind a heavy message: an event, or the end of the stream.
    private enum Pending {
        case event(String)
        case end
    }

    /// Queues one JSON-RPC message as an `event: message`; false when the stream has ended.
    ///
    /// A heavy message (an upstream's 4 MiB result or progress) is serialized on the thread pool, not on the loop
    /// the sender runs on (often the one reading the broker's frames, shared by every client); the events and the
    /// end sent after it wait for it.
    @discardableResult
    public func send(_ message: JSONRPCMessage) -> Bool {
        guard message.outweighs(HeavyWork.weight) else { return push(Self.event(message)) }
        let ticket = state.withLock { $0.ended || $0.finishing ? nil : $0.order.hold(lane: 0) }
        guard let ticket else { return false }
        HeavyWork.run({ Self.event(message) }) { [self] event in
            let (ends, overflow) = state.withLock { state -> (Bool, Overflow?) in
                for pending in state.order.finish(ticket, with: event.map { .event($0) }) {
                    guard case .event(let text) = pending else { return (true, nil) }  // nothing follows the end
                    if let overflow = enqueue(text, &state) { return (false, overflow) }
                }
                return (false, nil)
            }
            if let overflow { overflowed(report: overflow.report) } else if ends { continuation.finish() }
        }
        return true
    }

    private static func event(_ message: JSONRPCMessage) -> String {
        "event: message\ndata: " + message.json.serializedString + "\n\n"
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

    /// Ends the stream after what is queued (after a heavy message still being serialized, too).
    public func finish() {
        let held = state.withLock { state in
            state.finishing = true
            return state.order.arrive(.end, lane: 0) == nil
        }
        if !held { continuation.finish() }
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

    /// Queues an event in order: behind a heavy message still being serialized, or at once.
    @discardableResult
    private func push(_ text: String) -> Bool {
        let outcome = state.withLock { state -> (queued: Bool, overflow: Overflow?) in
            guard !state.finishing else { return (false, nil) }
            guard state.order.arrive(.event(text), lane: 0) != nil else { return (!state.ended, nil) }
            let overflow = enqueue(text, &state)
            return (overflow == nil && !state.ended, overflow)
        }
        if let overflow = outcome.overflow { overflowed(report: overflow.report) }
        return outcome.queued
    }

    /// A reader that fell behind past the limits, and what to tell.
    private struct Overflow {
        let report: (@Sendable () -> Void)?
    }

    /// Counts `text` and yields it, under the lock (so events leave in the order they were decided); or reports an
    /// overflow, for the caller to end the stream outside the lock (ending it runs `onTermination`, which locks).
    private func enqueue(_ text: String, _ state: inout State) -> Overflow? {
        state.queued += 1
        state.queuedBytes += text.utf8.count
        let overflow = state.queued > Self.bufferLimit || (state.queued > 1 && state.queuedBytes > Self.byteLimit)
        guard overflow else {
            continuation.yield(text)
            return nil
        }
        guard !state.overflowed else { return Overflow(report: nil) }
        state.overflowed = true
        return Overflow(report: state.onOverflow)
    }

    private func overflowed(report: (@Sendable () -> Void)?) {
        report?()
        continuation.finish()
    }
}
