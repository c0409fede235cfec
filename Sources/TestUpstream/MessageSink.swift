/// Where a server's messages go: stdout in stdio mode; an HTTP response or an SSE stream in
/// HTTP mode.
///
/// Class-bound so a sink has an identity: the listen registry tells listens apart by the id
/// they were opened with *and* the sink their notifications go to.
protocol MessageSink: AnyObject, Sendable {
    /// Sends one JSON-RPC message.
    func send(_ message: JSON)

    /// Says that a request whose answer was to come here will never be answered (a cancelled
    /// `sleep`), so a stream scoped to that request can end. Does nothing by default.
    func abandon()

    /// Whether a message sent now can still reach someone. Listens on closed sinks are dropped.
    var isOpen: Bool { get }
}

extension MessageSink {
    func abandon() {}
    var isOpen: Bool { true }
}

/// A sink that drops everything: the answer channel for client notifications and responses
/// POSTed over HTTP, which have nothing to answer.
final class DiscardSink: MessageSink {
    static let shared = DiscardSink()

    func send(_ message: JSON) {}
}
