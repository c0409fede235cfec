import BrokerProtocol

/// Where the broker sends messages for one socket connection: an ordered, non-blocking queue that the connection's
/// writer drains.
struct MessageSink: Sendable {
    let connection: Int
    let send: @Sendable (BrokerMessage) -> Void
    /// Whether the client has stopped keeping up (megabytes written that it has not read).
    let isCongested: @Sendable () -> Bool
    /// Told of each message `sendUnasked` drops.
    let dropped: @Sendable () -> Void

    /// Sends what an upstream said unasked (a notification, a request of its client), unless the client is not
    /// keeping up: an upstream that floods must not grow the broker's memory. Answers to requests are never
    /// dropped (there is one per request the client made). Returns whether it was sent.
    @discardableResult
    func sendUnasked(_ message: BrokerMessage) -> Bool {
        guard !isCongested() else {
            dropped()
            return false
        }
        send(message)
        return true
    }
}
