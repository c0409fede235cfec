import MCPWire
import Synchronization

/// Routes upstream progress notifications back to the client request they belong to. Clients choose their own
/// progress tokens, and many clients share a channel, so the gateway sends each request upstream with a token of
/// its own and restores the client's token on the way back.
///
/// A route is bound to the broker channel its request went out on, and its token is unguessable: a notification is
/// delivered only when it arrives on that channel with that token. An upstream (of any workspace) that names another
/// request's token, guessed or learnt, reaches nothing.
final class ProgressRelay: Sendable {
    private struct Route {
        let channel: Int
        let clientToken: JSONValue
        let deliver: @Sendable (JSONValue) -> Void
    }

    private let routes = Mutex<[String: Route]>([:])

    /// Replaces the client's `_meta.progressToken` in `params` with a fresh gateway token routed to `deliver` for
    /// notifications that come back on `channel`; returns the new params and the token to release when the request
    /// ends (nil when there was none).
    func register(_ params: JSONValue?, channel: Int, deliver: @escaping @Sendable (JSONValue) -> Void) -> (
        JSONValue?, String?
    ) {
        guard var object = params?.objectValue, var meta = object["_meta"]?.objectValue,
            let clientToken = meta["progressToken"]
        else { return (params, nil) }
        let token = UnguessableID.make(prefix: "sgp-")
        routes.withLock { $0[token] = Route(channel: channel, clientToken: clientToken, deliver: deliver) }
        meta["progressToken"] = .string(token)
        object["_meta"] = .object(meta)
        return (.object(object), token)
    }

    func release(_ token: String?) {
        guard let token else { return }
        _ = routes.withLock { $0.removeValue(forKey: token) }
    }

    /// Handles a `notifications/progress` that arrived on `channel`: delivered if its token is one of ours and was
    /// given on that channel. True when the notification was a progress notification for one of our tokens (used or
    /// refused), so that it goes nowhere else.
    func deliver(_ params: JSONValue?, channel: Int) -> Bool {
        guard var object = params?.objectValue, let token = object["progressToken"]?.stringValue,
            let route = routes.withLock({ $0[token] })
        else { return false }
        guard route.channel == channel else { return true }
        object["progressToken"] = route.clientToken
        route.deliver(.object(object))
        return true
    }
}
