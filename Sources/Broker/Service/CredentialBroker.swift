import AsyncHTTPClient
import BrokerProtocol
import Logging
import MCPWire
import NIOCore
import NIOPosix
import OAuth
import Vault

/// The broker: the only long-running process that holds the key. Opens channels to upstream servers under leases,
/// forwards MCP traffic on them, publishes the configuration snapshot, and re-establishes upstreams when the vault
/// changes.
///
/// Runs on one event loop, with its socket connections and its stdio upstreams: a request read from the socket is
/// written to the upstream, and its answer masked and framed back, without leaving that thread. Only the vault
/// (SQLite and decryption) and HTTP upstreams run elsewhere.
public actor CredentialBroker {
    struct Channel {
        let id: Int
        let key: UpstreamKey
        let connection: Int
        let sink: MessageSink
    }

    /// A socket connection: where its messages go, and the queue of those it sends that are handled in order.
    struct Connection {
        let sink: MessageSink
        let queue: AsyncStream<BrokerMessage>.Continuation
    }

    let configuration: BrokerConfiguration
    let logger: Logger
    /// The loop this actor, its socket connections and its stdio upstreams run on.
    nonisolated let loop: any EventLoop
    private let vault: VaultService
    private let supervisor = TaskSupervisor()
    private let eras = EraCache()
    private var upstreams: [UpstreamKey: any Upstream] = [:]
    /// Our own client for HTTP upstreams: no redirects (they would carry injected headers elsewhere), no
    /// decompression (answers pass through as sent), a connect timeout and no read timeout (streams are long).
    private let httpClient: HTTPClient
    private var channels: [Int: Channel] = [:]
    private var leases = LeaseTable()
    private let counters = BrokerCounters()
    /// One OAuth refresh at a time per (workspace, server), for every HTTP upstream of it.
    private let refresher: OAuthRefresher
    private let oauthClient: HTTPClient
    private var subscribers: [Int: MessageSink] = [:]
    private var connections: [Int: Connection] = [:]
    private var snapshot: ConfigSnapshot?
    private var nextChannel = 0
    private var nextConnection = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    /// `open` opens the vault (again, when another process rotated its master key).
    public init(
        configuration: BrokerConfiguration = BrokerConfiguration(), logger: Logger,
        loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        open: sending @escaping () throws(VaultError) -> SecretVault
    ) throws(VaultError) {
        self.configuration = configuration
        self.logger = logger
        self.loop = loop
        self.vault = try VaultService(open: open)
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: .seconds(10), read: nil)
        http.decompression = .disabled
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        // Its own client: OAuth exchanges are short, and a read timeout ends the connection of one that stalls.
        self.oauthClient = OAuthHTTP.makeClient()
        self.refresher = OAuthRefresher(vault: vault, client: oauthClient, logger: logger, counters: counters)
    }

    /// Runs until cancelled: the upstream processes and the poller that follows the vault, sweeps leases and stops
    /// idle upstreams. On cancellation every upstream is stopped before this returns.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.supervisor.run() }
            group.addTask { await self.poll() }
        }
        try? await httpClient.shutdown()  // nothing to do about a failure to close idle connections at exit
        try? await oauthClient.shutdown()
    }

    /// Every installed server's state now (for the dashboard, in this process).
    public func serverStates() async -> [ServerLiveState] {
        let snapshot = await currentSnapshot()
        let installed = (snapshot?.workspaces ?? []).flatMap { workspace in
            workspace.servers.map { (workspace: workspace.slug, server: $0.slug) }
        }
        var instances: [String: Int] = [:]
        for key in upstreams.keys { instances["\(key.workspace)/\(key.server)", default: 0] += 1 }
        return counters.liveStates(installed: installed, instances: instances)
    }

    /// The active leases, soonest to expire first (for the dashboard, in this process).
    public func activeLeases() -> [LeaseInfo] { leases.all }

    /// Revokes a lease: its channel closes and the gateway is told; nil when no lease has that id. The caller
    /// audits it, under its own name (`sealgate leases revoke` through the socket: the broker; the dashboard:
    /// itself). Taken out of the table before anything is awaited, so two revocations of one lease make one.
    public func revokeLease(_ id: String) async -> LeaseInfo? {
        guard let lease = leases.remove(id) else { return nil }
        counters.count(.revoked, workspace: lease.info.workspace)
        await close(channel: lease.channel, reason: "lease revoked", notify: true)
        return lease.info
    }

    /// The configuration as gateways see it (what `serve` prints its URLs from).
    public func currentSnapshot() async -> ConfigSnapshot? {
        if snapshot == nil { await configurationChanged() }
        return snapshot
    }

    private func poll() async {
        while !Task.isCancelled {
            // The snapshot already sent says which generation gateways have; a `hello` may have made it first.
            if let generation = try? await vault.generation(), generation != snapshot?.generation {
                await configurationChanged()
            }
            await sweep()
            try? await Task.sleep(for: configuration.pollInterval)
        }
        await stopAll()
    }

    // MARK: Connections

    /// Registers a socket connection whose messages go out through `send`; returns its id. Messages that need no
    /// more than the event loop are handled as they arrive (`receive`); the rest are queued and handled in order
    /// by a task of the connection, which ends, closing the connection's channels, once `connectionEnded` is called.
    func connect(
        isCongested: @escaping @Sendable () -> Bool = { false }, send: @escaping @Sendable (BrokerMessage) -> Void
    ) -> Int {
        nextConnection += 1
        let id = nextConnection
        let sink = MessageSink(
            connection: id, send: send, isCongested: isCongested,
            dropped: { [counters] in counters.countDroppedUnasked() })
        let (messages, queue) = AsyncStream<BrokerMessage>.makeStream()
        connections[id] = Connection(sink: sink, queue: queue)
        supervisor.spawn { [self] in
            await withDiscardingTaskGroup { group in
                for await message in messages {
                    if case .open = message {
                        // Starting an upstream can take seconds: the connection's other messages go on meanwhile.
                        group.addTask {
                            if let answer = await self.handle(message, connection: id, sink: sink) { sink.send(answer) }
                        }
                    } else if let answer = await handle(message, connection: id, sink: sink) {
                        sink.send(answer)
                    }
                }
            }
            await disconnected(id)
        }
        return id
    }

    /// The socket connection closed: once its queued messages are handled, its channels close.
    func connectionEnded(_ connection: Int) {
        connections.removeValue(forKey: connection)?.queue.finish()
    }

    /// A message from a connection, as it is read. Requests and notifications for a running stdio upstream go to
    /// it at once, on this thread; everything else waits its turn in the connection's queue.
    func receive(_ message: BrokerMessage, connection: Int) {
        guard let sink = connections[connection]?.sink else { return }
        switch message {
        case .request(let channel, let id, let method, let params):
            forward(channel: channel, connection: connection, id: id, method: method, params: params) { outcome in
                sink.send(.response(channel: channel, id: id, outcome: outcome))
            }
        case .notify(let channel, let method, let params):
            guard let entry = channels[channel], entry.connection == connection,
                let upstream = upstreams[entry.key] as? StdioUpstream
            else {
                connections[connection]?.queue.yield(message)  // answered (or sent to HTTP) in its turn
                return
            }
            upstream.assumeIsolated { upstream in
                if method == "notifications/cancelled", let requestID = params?["requestId"],
                    let id = RequestID(json: requestID)
                {
                    upstream.cancel(channel: channel, originalID: id, reason: params?["reason"])
                } else {
                    upstream.notify(method: method, params: params)
                }
            }
        case .listLeases(let ref):
            sink.send(.leases(ref: ref, leases.all))
        case .stats(let ref):
            sink.send(.statistics(ref: ref, counters.statistics(activeLeases: leases.all)))
        default:
            connections[connection]?.queue.yield(message)
        }
    }

    /// A connection ended: its channels close and their leases end.
    private func disconnected(_ connection: Int) async {
        subscribers[connection] = nil
        for channel in channels.values where channel.connection == connection {
            await close(channel: channel.id, reason: "connection closed", notify: false)
        }
    }

    /// Handles one message that needs no upstream round trip; returns the answer to send, if any.
    func handle(_ message: BrokerMessage, connection: Int, sink: MessageSink) async -> BrokerMessage? {
        switch message {
        case .hello(let version, _):
            guard version == BrokerMessage.protocolVersion else {
                return .failure(
                    ref: nil, channel: nil, code: .refused,
                    message: "protocol \(version) is not spoken here; use \(BrokerMessage.protocolVersion)")
            }
            sink.send(.welcome(protocolVersion: BrokerMessage.protocolVersion, broker: "sealgate-broker/0.1"))
            // Made before subscribing: `configurationChanged` pushes to subscribers, and this one gets it as the answer.
            if snapshot == nil { await configurationChanged() }
            subscribers[connection] = sink
            return snapshot.map(BrokerMessage.snapshot)
        case .open(let ref, let workspace, let server, let session, let clientCapabilities):
            return await open(
                ref: ref, workspace: workspace, server: server, session: session,
                clientCapabilities: clientCapabilities, connection: connection, sink: sink)
        case .notify(let channel, let method, let params):
            guard let entry = channels[channel], entry.connection == connection, let upstream = upstreams[entry.key]
            else {
                return .failure(ref: nil, channel: channel, code: .notFound, message: "no channel \(channel)")
            }
            if method == "notifications/cancelled", let requestID = params?["requestId"],
                let id = RequestID(json: requestID)
            {
                await upstream.cancel(channel: channel, originalID: id, reason: params?["reason"])
            } else {
                await upstream.notify(method: method, params: params)
            }
            return nil
        case .reply(let channel, let id, let outcome):
            guard let entry = channels[channel], entry.connection == connection, let upstream = upstreams[entry.key]
            else {
                return .failure(ref: nil, channel: channel, code: .notFound, message: "no channel \(channel)")
            }
            await upstream.reply(channel: channel, id: id, outcome: outcome)
            return nil
        case .renew(let ref, let id):
            guard let lease = leases.renew(id, now: LeaseTable.now(), ttl: configuration.leaseTTL) else {
                await vault.record("lease.renew-failed", workspace: nil, target: id, detail: "unknown or expired")
                return .failure(
                    ref: ref, channel: nil, code: .notFound,
                    message: "lease \(id) is unknown or expired; open the channel again")
            }
            return .renewed(ref: ref, lease: lease)
        case .close(let channel):
            guard channels[channel]?.connection == connection else {
                return .failure(ref: nil, channel: channel, code: .notFound, message: "no channel \(channel)")
            }
            await close(channel: channel, reason: "closed by the client", notify: true)
            return nil
        case .authenticate(let ref, let token):
            guard let authenticated = await vault.authenticate(token) else {
                // One answer for every failure: the gateway must not learn which check failed.
                return .failure(
                    ref: ref, channel: nil, code: .refused, message: "the token is unknown, expired or revoked")
            }
            return .authenticated(ref: ref, authenticated)
        case .usage(let records):
            // Counts from the gateway, batched by it: one transaction per report, off the request path.
            await vault.recordUsage(records)
            return nil
        case .revokeLease(let ref, let id):
            guard let lease = await revokeLease(id) else {
                return .failure(
                    ref: ref, channel: nil, code: .notFound, message: "no lease \(id); see `sealgate leases list`")
            }
            await vault.record("lease.revoke", workspace: lease.workspace, target: lease.server, detail: id)
            return .revoked(ref: ref, lease: id)
        case .request(let channel, _, _, _):
            return .failure(
                ref: nil, channel: channel, code: .internalError, message: "requests are forwarded, not handled")
        default:
            return .failure(
                ref: nil, channel: nil, code: .unknownMessage, message: "the broker does not accept this message")
        }
    }

    /// Forwards an MCP request on a channel; `reply` gets the answer in the neutral model. A stdio upstream takes
    /// it on this thread; an HTTP one in a task.
    private func forward(
        channel: Int, connection: Int, id: RequestID, method: String, params: JSONValue?,
        reply: @escaping @Sendable (Outcome) -> Void
    ) {
        guard let entry = channels[channel], entry.connection == connection, let upstream = upstreams[entry.key] else {
            reply(
                .error(
                    JSONRPCError(
                        code: JSONRPCError.invalidRequest, message: "no channel \(channel) on this connection")))
            return
        }
        if let stdio = upstream as? StdioUpstream {
            stdio.assumeIsolated { $0.submit(channel: channel, id: id, method: method, params: params, reply: reply) }
        } else {
            supervisor.spawn { reply(await upstream.request(channel: channel, id: id, method: method, params: params)) }
        }
    }

    // MARK: Channels and leases

    /// Opens a channel; sends `opened` itself (nil is returned then) so that it precedes the channel's traffic.
    ///
    /// An upstream of one session (not shared) is started declaring `clientCapabilities` in its handshake: its
    /// requests to the client then reach that session's client. A shared upstream serves many clients, whose
    /// answers it could not tell apart, so it declares none.
    private func open(
        ref: String, workspace: String, server: String, session: String, clientCapabilities: JSONValue?,
        connection: Int, sink: MessageSink
    ) async -> BrokerMessage? {
        let definition: ServerDefinition?
        do {
            definition = try await vault.installedServer(server, workspace: workspace)
        } catch {
            return .failure(ref: ref, channel: nil, code: BrokerError(error).code, message: error.description)
        }
        guard let definition else {
            return .failure(
                ref: ref, channel: nil, code: .notFound,
                message: "server '\(server)' is not installed in '\(workspace)'")
        }
        guard session != UpstreamKey.sharedSession, !session.isEmpty else {
            return .failure(
                ref: ref, channel: nil, code: .refused, message: "session '\(session)' is reserved; use another id")
        }
        let key = UpstreamKey(
            workspace: workspace, server: server, session: definition.shared ? UpstreamKey.sharedSession : session)
        if upstreams[key] == nil, !key.isBoundedByServers {
            let held = upstreams.keys.count { $0.workspace == workspace && !$0.isBoundedByServers }
            guard held < configuration.maximumUpstreamsPerWorkspace else {
                counters.count(.refusedAtLimit, key)
                logger.notice(
                    "upstream refused: the workspace holds the most upstreams it may",
                    metadata: ["upstream": "\(key)", "limit": "\(configuration.maximumUpstreamsPerWorkspace)"])
                return .failure(
                    ref: ref, channel: nil, code: .refused,
                    message:
                        "workspace '\(workspace)' already runs \(held) upstreams, the most it may; end idle client sessions, or raise --max-upstreams-per-workspace"
                )
            }
        }
        let upstream =
            upstreams[key]
            ?? makeUpstream(definition, key: key, clientCapabilities: definition.shared ? nil : clientCapabilities)
        upstreams[key] = upstream
        nextChannel += 1
        let channel = nextChannel
        channels[channel] = Channel(id: channel, key: key, connection: connection, sink: sink)
        let info: UpstreamInfo
        do {
            info = try await upstream.ensureStarted()
        } catch {
            await close(channel: channel, reason: "upstream failed", notify: false)
            return .failure(ref: ref, channel: nil, code: error.code, message: error.description)
        }
        guard channels[channel] != nil else {
            return .failure(ref: ref, channel: nil, code: .refused, message: "the channel closed while it opened")
        }
        let lease = leases.grant(
            channel: channel, workspace: workspace, server: server, session: session, now: LeaseTable.now(),
            ttl: configuration.leaseTTL)
        counters.count(.granted, workspace: workspace)
        await vault.record(
            "lease.grant", workspace: workspace, target: server, detail: "\(lease.id) session \(session)")
        // Queue `opened` before the upstream may send anything on the channel: the client learns the channel
        // number before any notification or upstream request that names it.
        sink.send(.opened(ref: ref, channel: channel, lease: lease, upstream: info))
        await upstream.attach(channel: channel, sink: sink)
        return nil
    }

    private func makeUpstream(
        _ definition: ServerDefinition, key: UpstreamKey, clientCapabilities: JSONValue?
    ) -> any Upstream {
        switch definition.transport {
        case .stdio:
            StdioUpstream(
                key: key, loop: loop, vault: vault, supervisor: supervisor, configuration: configuration, eras: eras,
                logger: logger, counters: counters, clientCapabilities: clientCapabilities)
        case .http:
            HTTPUpstream(
                key: key, vault: vault, supervisor: supervisor, configuration: configuration, eras: eras,
                logger: logger, client: httpClient, counters: counters, refresher: refresher,
                clientCapabilities: clientCapabilities)
        }
    }

    private func close(channel: Int, reason: String, notify: Bool) async {
        guard let entry = channels.removeValue(forKey: channel) else { return }
        _ = leases.remove(channel: channel)
        if notify { entry.sink.send(.closed(channel: channel, reason: reason)) }
        guard let upstream = upstreams[entry.key] else { return }
        let remaining = await upstream.detach(channel: channel)
        // A session's own upstream goes with its last channel; a shared one stays until it is idle.
        if remaining == 0 && entry.key.session != UpstreamKey.sharedSession {
            upstreams[entry.key] = nil
            await upstream.stop()
        }
    }

    private func sweep() async {
        for lease in leases.expire(now: LeaseTable.now()) {
            await vault.record(
                "lease.expire", workspace: lease.info.workspace, target: lease.info.server, detail: lease.info.id)
            counters.count(.expired, workspace: lease.info.workspace)
            await close(channel: lease.channel, reason: "lease expired", notify: true)
        }
        for upstream in upstreams.values {
            await upstream.expireOverdue()
            await upstream.stopIfIdle()
        }
    }

    private func stopAll() async {
        for channel in channels.keys { await close(channel: channel, reason: "broker stopping", notify: true) }
        for upstream in upstreams.values { await upstream.stop() }
        upstreams = [:]
    }

    // MARK: Configuration

    private func configurationChanged() async {
        guard let configuration = try? await vault.configuration() else { return }
        let snapshot = ConfigSnapshot(configuration)
        self.snapshot = snapshot
        for sink in subscribers.values { sink.send(.snapshot(snapshot)) }
        // A server uninstalled (or a workspace deleted) takes its channels with it.
        let installed = Set(snapshot.workspaces.flatMap { ws in ws.servers.map { "\(ws.slug)/\($0.slug)" } })
        for channel in channels.values where !installed.contains("\(channel.key.workspace)/\(channel.key.server)") {
            await close(channel: channel.id, reason: "server no longer installed", notify: true)
        }
        for (key, upstream) in upstreams {
            guard let fingerprint = try? await vault.fingerprint(server: key.server, workspace: key.workspace) else {
                continue
            }
            await upstream.refresh(fingerprint: fingerprint)
        }
    }

}

extension ConfigSnapshot {
    init(_ c: VaultConfiguration) {
        func token(_ t: VaultConfiguration.HashedToken) -> Token {
            Token(
                name: t.info.name, hash: t.hash, featureSets: t.info.featureSets,
                expiresAt: t.info.expiresAt.map { $0 * 1000 })
        }
        self.init(
            generation: c.generation, activeWorkspace: c.workspaces.first { $0.info.isActive }?.info.slug,
            workspaces: c.workspaces.map { ws in
                Workspace(
                    slug: ws.info.slug, name: ws.info.name,
                    servers: ws.servers.map {
                        let transport = if case .stdio = $0.definition.transport { "stdio" } else { "http" }
                        return Server(
                            slug: $0.definition.slug, transport: transport, shared: $0.definition.shared,
                            defaultEnabled: $0.definition.defaultEnabled)
                    },
                    featureSets: ws.featureSets.map { FeatureSet(name: $0.name, allow: $0.allow, deny: $0.deny) },
                    tokens: ws.tokens.map(token))
            },
            clients: c.clients.map { client in
                Client(
                    token: token(client),
                    grants: Dictionary(uniqueKeysWithValues: client.grants.map { ($0.workspace, $0.featureSets) }))
            })
    }
}
