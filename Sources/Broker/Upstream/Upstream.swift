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
