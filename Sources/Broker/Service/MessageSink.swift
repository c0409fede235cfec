import BrokerProtocol

/// Where the broker sends messages for one socket connection: an ordered, non-blocking queue that the connection's
/// writer drains.
struct MessageSink: Sendable {
    let connection: Int
    let send: @Sendable (BrokerMessage) -> Void
}
