import MCPWire
import Synchronization

/// Routes upstream progress notifications back to the client request they belong to. Clients choose their own
/// progress tokens, and many clients share a channel, so the gateway sends each request upstream with a token of
/// its own (`sgp-N`) and restores the client's token on the way back.
final class ProgressRelay: Sendable {
    private struct Route {
        let clientToken: JSONValue
        let deliver: @Sendable (JSONValue) -> Void
    }

    private let routes = Mutex<[String: Route]>([:])
    private let counter = Atomic<Int>(0)

    /// Replaces the client's `_meta.progressToken` in `params` with a fresh gateway token routed to `deliver`;
    /// returns the new params and the token to release when the request ends (nil when there was none).
    func register(_ params: JSONValue?, deliver: @escaping @Sendable (JSONValue) -> Void) -> (JSONValue?, String?) {
        guard var object = params?.objectValue, var meta = object["_meta"]?.objectValue,
            let clientToken = meta["progressToken"]
        else { return (params, nil) }
        let token = "sgp-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        routes.withLock { $0[token] = Route(clientToken: clientToken, deliver: deliver) }
        meta["progressToken"] = .string(token)
        object["_meta"] = .object(meta)
        return (.object(object), token)
    }

    func release(_ token: String?) {
        guard let token else { return }
        _ = routes.withLock { $0.removeValue(forKey: token) }
    }

    /// Delivers a `notifications/progress` params object if its token is one of ours; false otherwise.
    func deliver(_ params: JSONValue?) -> Bool {
        guard var object = params?.objectValue, let token = object["progressToken"]?.stringValue,
            let route = routes.withLock({ $0[token] })
        else { return false }
        object["progressToken"] = route.clientToken
        route.deliver(.object(object))
        return true
    }
}
