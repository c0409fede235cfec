import MCPWire

/// Relays upstream log messages (`notifications/message`) to 2025-era sessions.
///
/// A 2025-era session has upstreams of its own (one per server, unless the server is shared), so whatever one of
/// them logs belongs to that session and goes on the session's stream (its GET stream, or its `/sse` stream), at or
/// above the level the session set with `logging/setLevel` (everything until it sets one). The broker has masked the
/// message like any upstream output. The stateless 2026-07-28 traffic shares one upstream per server, whose logs no
/// request can be told apart by: they go nowhere.
struct LogRelay: Sendable {
    let sessions: SessionTable

    /// Delivers a `notifications/message` params object that came on a channel of `key`.
    func deliver(_ params: JSONValue?, from key: ChannelKey) {
        guard let session = sessions.session(brokerSession: key.session),
            var message = params?.objectValue,
            let level = message["level"]?.stringValue.flatMap(LogLevel.init(name:)),
            session.wantsLog(at: level)
        else { return }
        message["logger"] = .string(Self.logger(message["logger"]?.stringValue, server: key.server))
        session.push(.notification(method: "notifications/message", params: .object(message)))
    }

    /// The logger a client sees: the server's slug first, since one session hears every server of its workspace.
    static func logger(_ upstreamLogger: String?, server: String) -> String {
        guard let upstreamLogger, !upstreamLogger.isEmpty else { return server }
        return server + "/" + upstreamLogger
    }
}
