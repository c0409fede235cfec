/// Why the gateway could not do something, as the gateway's clients will hear it.
public enum GatewayError: Error, Sendable, CustomStringConvertible {
    /// The broker socket is not connected (the broker is starting, restarting or gone).
    case brokerUnavailable
    /// The broker refused or failed an operation; the message is the broker's.
    case broker(code: String, message: String)

    public var description: String {
        switch self {
        case .brokerUnavailable: "the credential broker is not reachable; retry shortly"
        case .broker(_, let message): message
        }
    }
}
