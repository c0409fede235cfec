import BrokerProtocol
import MCPWire

/// One upstream MCP server as the broker drives it, whatever its transport: channels attach to it, requests go
/// through it in the neutral model, and it can be refreshed, idled and stopped.
protocol Upstream: Actor {
    var key: UpstreamKey { get }
    /// The process id for stdio upstreams; nil for HTTP.
    var processID: Int32? { get }

    func attach(channel: Int, sink: MessageSink)
    /// Detaches a channel; returns how many remain.
    func detach(channel: Int) -> Int
    func ensureStarted() async throws(BrokerError) -> UpstreamInfo
    func request(channel: Int, id: RequestID, method: String, params: JSONValue?) async -> Outcome
    func cancel(channel: Int, originalID: RequestID, reason: JSONValue?)
    func notify(method: String, params: JSONValue?) async
    func reply(channel: Int, id: RequestID, outcome: Outcome) async
    func stop() async
    /// Re-establishes the upstream if what it was started with (its fingerprint) changed.
    func refresh(fingerprint: String)
    func stopIfIdle()
    func expireOverdue()
}

extension StdioUpstream: Upstream {}

/// An upstream re-established with new secrets or a new definition may list other tools, prompts and resources
/// than before (a token with other scopes, say), and it will not say so itself: to the new process or session this
/// is its first start. So every attached channel hears that its lists may have changed, as if the upstream had
/// sent the three `list_changed` notifications.
func announceListsMayHaveChanged(to channels: [Int: MessageSink]) {
    let methods = [
        "notifications/tools/list_changed", "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
    ]
    for (channel, sink) in channels {
        for method in methods { sink.sendUnasked(.notification(channel: channel, method: method, params: nil)) }
    }
}

/// Requests an upstream makes of its client before any channel is attached: the broker starts an upstream during
/// `open` and attaches the channel once the handshake is done, and some servers ask at once (a filesystem server
/// lists its client's roots on `notifications/initialized`). Held, a few at most, for the first channel.
struct EarlyRequests {
    static let limit = 16
    private var held: [JSONRPCMessage] = []

    /// Keeps `request` for the first channel; false when the limit is reached (the caller refuses it).
    mutating func hold(_ request: JSONRPCMessage) -> Bool {
        guard held.count < Self.limit else { return false }
        held.append(request)
        return true
    }

    /// The requests held, in order; none are held afterwards.
    mutating func take() -> [JSONRPCMessage] {
        defer { held = [] }
        return held
    }
}
