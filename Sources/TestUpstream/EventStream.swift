import Synchronization

/// One server-sent event, in the framing MCP uses.
enum SSEEvent: Sendable {
    /// `event: message` carrying one JSON-RPC message.
    case message(JSON)
    /// Legacy HTTP+SSE: the first event, naming where to POST.
    case endpoint(String)
    /// A comment line, the keep-alive that proxies and clients ignore.
    case comment(String)

    /// The event's bytes on the wire, blank line included.
    var text: String {
        switch self {
        case .message(let message):
            return "event: message\ndata: \(String(decoding: message.serialized(), as: UTF8.self))\n\n"
        case .endpoint(let path): return "event: endpoint\ndata: \(path)\n\n"
        case .comment(let text): return ": \(text)\n\n"
        }
    }
}

/// A queue of events with one reader, the connection writing them out; any thread may write.
///
/// Scoped to one request (`answering` set) it ends after that request's response, or when the
/// request is abandoned; unscoped (a GET or `/sse` stream) it lasts until the connection goes.
final class EventStream: MessageSink {
    /// The reader parked in `next()` while the buffer is empty.
    private typealias Reader = CheckedContinuation<SSEEvent?, Never>

    private struct State {
        var buffer: [SSEEvent] = []
        var reader: Reader?
        /// Nothing more will be queued; what is buffered is still delivered.
        var finished = false
        /// The connection is gone: nothing is delivered any more.
        var closed = false
        var closeActions: [@Sendable () -> Void] = []
    }

    /// The request whose response ends the stream; nil for a long-lived stream.
    let answering: RequestID?
    private let state = Mutex(State())

    init(answering: RequestID? = nil) {
        self.answering = answering
    }

    var isOpen: Bool { state.withLock { !$0.finished && !$0.closed } }

    /// Queues a message. On a request-scoped stream only that request's response comes without
    /// a `method`, and it is the last event.
    func send(_ message: JSON) {
        push(.message(message), last: answering != nil && message["method"] == nil)
    }

    /// A cancelled request is never answered: its stream ends empty-handed.
    func abandon() {
        if answering != nil { finish() }
    }

    /// Queues an event; dropped once the stream has finished or closed.
    func push(_ event: SSEEvent, last: Bool = false) {
        let reader: Reader? = state.withLock { state in
            guard !state.finished, !state.closed else { return nil }
            state.finished = last
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            state.buffer.append(event)
            return nil
        }
        reader?.resume(returning: event)
    }

    /// No more events; the reader drains the buffer and then sees the end.
    func finish() {
        let reader: Reader? = state.withLock { state in
            state.finished = true
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: nil)
    }

    /// The connection is gone (or the response is complete): drop everything, wake the reader,
    /// and run the close actions once.
    func close() {
        let (reader, actions): (Reader?, [@Sendable () -> Void]) = state.withLock { state in
            guard !state.closed else { return (nil, []) }
            state.closed = true
            state.buffer = []
            defer {
                state.reader = nil
                state.closeActions = []
            }
            return (state.reader, state.closeActions)
        }
        reader?.resume(returning: nil)
        for action in actions { action() }
    }

    /// Runs `action` when the stream closes, at once if it already has.
    func onClose(_ action: @escaping @Sendable () -> Void) {
        let alreadyClosed = state.withLock { state in
            if !state.closed { state.closeActions.append(action) }
            return state.closed
        }
        if alreadyClosed { action() }
    }

    /// The next event, waiting for one; nil at the end of the stream.
    func next() async -> SSEEvent? {
        await withCheckedContinuation { (continuation: Reader) in
            let ready: SSEEvent?? = state.withLock { state in
                if state.closed { return .some(nil) }
                if !state.buffer.isEmpty { return .some(state.buffer.removeFirst()) }
                if state.finished { return .some(nil) }
                state.reader = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
