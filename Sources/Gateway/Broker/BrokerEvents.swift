import BrokerProtocol
import Logging
import MCPWire

/// Keeps the gateway connected to the broker and acts on what the broker pushes: snapshots (hot reload),
/// upstream notifications (list changes, progress, log messages, resource updates), closed channels, and upstream
/// requests (relayed to the 2025-era session they belong to, or refused).
struct BrokerEvents: Sendable {
    /// Wait between attempts to reach the broker.
    static let retryInterval: Duration = .milliseconds(200)

    let broker: BrokerAccess
    let pool: ChannelPool
    let progress: ProgressRelay
    let subscribers: Subscribers
    let front: Front
    let logger: Logger

    /// Connects, handles events until the connection ends, and connects again; until cancelled.
    func stayConnected(to path: String) async {
        var warned = false
        while !Task.isCancelled {
            let (events, continuation) = AsyncStream<BrokerLink.Event>.makeStream()
            let link: BrokerLink
            do {
                link = try await BrokerLink.connect(path: path) { continuation.yield($0) }
            } catch let refusal as BrokerRefusal {
                if !warned { logger.error("\(refusal); retrying", metadata: ["socket": "\(path)"]) }
                warned = true
                try? await Task.sleep(for: Self.retryInterval)  // cancelled: the loop ends
                continue
            } catch {
                if !warned { logger.warning("cannot reach the broker; retrying", metadata: ["socket": "\(path)"]) }
                warned = true
                try? await Task.sleep(for: Self.retryInterval)  // cancelled: the loop ends
                continue
            }
            warned = false
            logger.info("connected to the broker", metadata: ["socket": "\(path)"])
            broker.attach(link)
            await withTaskCancellationHandler {
                for await event in events {
                    if case .disconnected = event { break }
                    await handle(event, link: link)
                }
            } onCancel: {
                link.close()
            }
            continuation.finish()
            broker.attach(nil)
            pool.reset()
            front.authenticator.forgetAll()
            logger.warning("lost the broker connection; reconnecting")
        }
    }

    /// What a 2025-era session's own upstreams send besides list changes goes through this, with the configuration
    /// as it is now.
    private var relay: SessionRelay {
        SessionRelay(sessions: front.sessions, snapshot: broker.currentSnapshot())
    }

    private func handle(_ event: BrokerLink.Event, link: BrokerLink) async {
        switch event {
        case .snapshot(let snapshot):
            let previous = broker.store(snapshot)
            if previous.generation != snapshot.generation {
                logger.debug("configuration changed", metadata: ["generation": "\(snapshot.generation)"])
                pool.invalidateAll()
            }
            subscribers.configurationChanged(snapshot)
        case .notification(let channel, let method, let params):
            if method == "notifications/progress", progress.deliver(params, channel: channel) { return }
            guard let key = pool.key(of: channel) else { return }
            switch method {
            case "notifications/cancelled":  // an upstream withdraws a request it made of its client
                guard let id = params?["requestId"].flatMap(RequestID.init(json:)) else { return }
                relay.withdraw(channel: channel, upstreamID: id, from: key)
                return
            case "notifications/message":
                relay.log(params, from: key)
                return
            case "notifications/resources/updated":
                relay.resourceUpdated(params, from: key)
                return
            default:
                break
            }
            guard let kinds = ListKind.changed(by: method) else { return }
            for kind in kinds { pool.invalidate(kind, workspace: key.workspace, server: key.server) }
            subscribers.listsChanged(Set(kinds), workspace: key.workspace, snapshot: broker.currentSnapshot())
        case .upstreamRequest(let channel, let id, let method, let params):
            if method == "ping" {  // an HTTP upstream's (the broker answers a stdio one's itself)
                link.send(.reply(channel: channel, id: id, outcome: .result(.object([:]))))
                return
            }
            if let key = pool.key(of: channel), relay.ask(method, params: params, channel: channel, id: id, from: key) {
                return
            }
            link.send(
                .reply(
                    channel: channel, id: id,
                    outcome: .error(
                        JSONRPCError(
                            code: JSONRPCError.methodNotFound,
                            message:
                                "\(method) is not relayed: no client session that declared it is listening on this upstream"
                        ))))
        case .closed(let channel, let reason):
            if let key = pool.closed(channel) {
                logger.debug("channel closed", metadata: ["server": "\(key.server)", "reason": "\(reason)"])
                // Its upstream's requests to the client can no longer be answered.
                relay.withdraw(channel: channel, upstreamID: nil, from: key)
            }
        case .disconnected:
            break
        }
    }
}
