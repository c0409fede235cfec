import MCPWire

/// The progress tokens an upstream is given in place of the ones its channels sent, and the way back.
///
/// Every upstream, whatever its transport, sees only tokens made here: unguessable, and known only to the upstream
/// that was sent them. A progress notification reaches a channel only through a token this upstream was given for a
/// request of that channel that is still in flight; any other token (guessed, another upstream's, a finished
/// request's) goes nowhere.
struct ProgressTokens {
    private var routes: [String: (channel: Int, token: JSONValue)] = [:]

    /// `params` with its `_meta.progressToken` replaced by a fresh token routed to `channel`, and that token to
    /// `release` when the request ends; `params` unchanged and nil when it asked for no progress.
    mutating func map(_ params: JSONValue?, channel: Int) -> (params: JSONValue?, token: String?) {
        guard var object = params?.objectValue, var meta = object["_meta"]?.objectValue,
            let token = meta["progressToken"]
        else { return (params, nil) }
        let mapped = UnguessableID.make(prefix: "sealgate-")
        routes[mapped] = (channel, token)
        meta["progressToken"] = .string(mapped)
        object["_meta"] = .object(meta)
        return (.object(object), mapped)
    }

    mutating func release(_ token: String?) {
        if let token { routes[token] = nil }
    }

    /// Forgets every route of a channel that went away.
    mutating func forget(channel: Int) {
        routes = routes.filter { $0.value.channel != channel }
    }

    /// Where a `notifications/progress` from the upstream goes: the channel of the request its token was given for,
    /// with the channel's own token restored. Nil for a token the upstream was not given, or one of a request that
    /// has ended; and, when the notification came on one request's own stream (`arrivedFor`), for a token of
    /// another channel's request.
    func route(_ params: JSONValue?, arrivedFor channel: Int? = nil) -> (channel: Int, params: JSONValue)? {
        guard var object = params?.objectValue, let token = object["progressToken"]?.stringValue,
            let target = routes[token]
        else { return nil }
        if let channel, channel != target.channel { return nil }
        object["progressToken"] = target.token
        return (target.channel, .object(object))
    }
}
