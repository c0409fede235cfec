/// Something the HTTP server did to a connection on its own, reported for `/metrics`.
public enum ConnectionEvent: Sendable, Equatable {
    /// Refused on arrival: too many connections in all, or from its peer.
    case refused(Refusal)
    /// Closed for taking too long to send its request, or for staying idle.
    case timedOut(Timeout)
    /// An event stream ended because its client stopped reading.
    case slowReader

    public enum Refusal: String, Sendable, CaseIterable {
        case total
        case peer
    }

    public enum Timeout: String, Sendable, CaseIterable {
        /// The request's head did not arrive within `ConnectionLimits.headTimeout`.
        case head
        /// The request's body paused for longer than `ConnectionLimits.idleTimeout`.
        case body
        /// Nothing came within `ConnectionLimits.idleTimeout` after the last answer.
        case idle
    }
}
