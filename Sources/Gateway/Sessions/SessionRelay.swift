import BrokerProtocol
import MCPWire

/// Relays what a 2025-era session's own upstreams send unasked, besides list changes: log messages
/// (`notifications/message`), updates of subscribed resources (`notifications/resources/updated`), and requests for
/// the client (`elicitation/create`, `sampling/createMessage`, `roots/list`).
///
/// A 2025-era session has upstreams of its own (one per server, unless the server is shared), so what one of them
/// sends belongs to that session and goes on the session's stream (its GET stream, or its `/sse` stream). The broker
/// has masked it like any upstream output. A shared server's logs and requests belong to no one session, and the
/// broker hands them to whichever channel it picks: they go nowhere (its resource updates go to the sessions that
/// subscribed). The stateless 2026-07-28 traffic shares one upstream per server, whose messages no request can be
/// told apart by: they go nowhere either.
struct SessionRelay: Sendable {
    let sessions: SessionTable
    /// The configuration now, which says which servers are shared.
    let snapshot: ConfigSnapshot

    /// The session whose own upstream `key` reaches; nil for a shared server's channel.
    private func owner(of key: ChannelKey) -> LegacySession? {
        guard !Self.isShared(key, in: snapshot) else { return nil }
        return sessions.session(brokerSession: key.session)
    }

    /// Whether the server of `key` is shared by every session (a removed server counts as shared: nothing is
    /// relayed from it).
    static func isShared(_ key: ChannelKey, in snapshot: ConfigSnapshot) -> Bool {
        let workspace = snapshot.workspaces.first { $0.slug == key.workspace }
        return workspace?.servers.first { $0.slug == key.server }?.shared ?? true
    }

    /// Delivers a `notifications/message` params object that came on a channel of `key`: at or above the level the
    /// session set with `logging/setLevel` (everything until it sets one), the logger named after the server.
    func log(_ params: JSONValue?, from key: ChannelKey) {
        guard let session = owner(of: key),
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

    /// Delivers a `notifications/resources/updated` params object that came on a channel of `key`, if the session
    /// subscribed to that resource, under the URI the session subscribed with. (A shared server sends the updates
    /// of every session's subscriptions on each channel.)
    func resourceUpdated(_ params: JSONValue?, from key: ChannelKey) {
        guard let session = sessions.session(brokerSession: key.session),
            var update = params?.objectValue,
            let uri = update["uri"]?.stringValue,
            let subscribed = session.subscribedAddress(
                LegacySession.ResourceKey(workspace: key.workspace, server: key.server, uri: uri))
        else { return }
        update["uri"] = .string(subscribed)
        session.push(.notification(method: "notifications/resources/updated", params: .object(update)))
    }

    /// Sends an upstream's request for the client (`id` on `channel`, which belongs to `key`) to the session the
    /// upstream serves, if its client declared the capability and listens; the answer comes back through
    /// `Front.answerUpstream`. False: nobody to ask (the caller refuses the request).
    func ask(_ method: String, params: JSONValue?, channel: Int, id: RequestID, from key: ChannelKey) -> Bool {
        guard let session = owner(of: key) else { return false }
        return session.clientRequests.relay(
            method, params: params, for: ClientRequests.UpstreamRequest(channel: channel, id: id), push: session.push)
    }

    /// An upstream (the channel of `key`) withdrew request `upstreamID` it made of the client, or with nil every
    /// request (the channel closed): the session forgets them and tells its client.
    func withdraw(channel: Int, upstreamID: RequestID?, from key: ChannelKey) {
        guard let session = sessions.session(brokerSession: key.session) else { return }
        session.clientRequests.withdraw(channel: channel, upstreamID: upstreamID, push: session.push)
    }
}
