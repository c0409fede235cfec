import AsyncHTTPClient
import BrokerProtocol
import Logging
import MCPWire
import Vault

/// The broker: the only long-running process that holds the key. Opens channels to upstream servers under leases,
/// forwards MCP traffic on them, publishes the configuration snapshot, and re-establishes upstreams when the vault
/// changes.
public actor CredentialBroker {
    struct Channel {
        let id: Int
        let key: UpstreamKey
        let connection: Int
        let sink: MessageSink
    }

    let configuration: BrokerConfiguration
    let logger: Logger
    private let vault: VaultService
    private let supervisor = TaskSupervisor()
    private let eras = EraCache()
    private var upstreams: [UpstreamKey: any Upstream] = [:]
    /// Our own client for HTTP upstreams: no redirects (they would carry injected headers elsewhere), no
    /// decompression (answers pass through as sent), a connect timeout and no read timeout (streams are long).
    private let httpClient: HTTPClient
    private var channels: [Int: Channel] = [:]
    private var leases = LeaseTable()
    private var subscribers: [Int: MessageSink] = [:]
    private var snapshot: ConfigSnapshot?
    private var nextChannel = 0
    private var nextConnection = 0

    /// `open` opens the vault (again, when another process rotated its master key).
    public init(
        configuration: BrokerConfiguration = BrokerConfiguration(), logger: Logger,
        open: sending @escaping () throws(VaultError) -> SecretVault
    ) throws(VaultError) {
        self.configuration = configuration
        self.logger = logger
        self.vault = try VaultService(open: open)
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.timeout = .init(connect: .seconds(10), read: nil)
        http.decompression = .disabled
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// Runs until cancelled: the upstream processes and the poller that follows the vault, sweeps leases and stops
    /// idle upstreams. On cancellation every upstream is stopped before this returns.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.supervisor.run() }
            group.addTask { await self.poll() }
        }
        try? await httpClient.shutdown()  // nothing to do about a failure to close idle connections at exit
    }

    /// The configuration as gateways see it (what `serve` prints its URLs from).
    public func currentSnapshot() async -> ConfigSnapshot? {
        if snapshot == nil { await configurationChanged() }
        return snapshot
    }

    private func poll() async {
        var seenGeneration: Int64 = -1
        while !Task.isCancelled {
            if let generation = try? await vault.generation(), generation != seenGeneration {
                seenGeneration = generation
                await configurationChanged()
            }
            await sweep()
            try? await Task.sleep(for: configuration.pollInterval)
        }
        await stopAll()
    }

    // MARK: Connections

    /// Registers a socket connection; returns its id.
    func connect() -> Int {
        nextConnection += 1
        return nextConnection
    }

    /// A connection ended: its channels close and their leases end.
    func disconnected(_ connection: Int) async {
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
            subscribers[connection] = sink
            sink.send(.welcome(protocolVersion: BrokerMessage.protocolVersion, broker: "sealgate-broker/0.1"))
            if snapshot == nil { await configurationChanged() }
            return snapshot.map(BrokerMessage.snapshot)
        case .open(let ref, let workspace, let server, let session):
            return await open(
                ref: ref, workspace: workspace, server: server, session: session, connection: connection, sink: sink)
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
        case .listLeases(let ref):
            return .leases(ref: ref, leases.all)
        case .authenticate(let ref, let token):
            guard let authenticated = await vault.authenticate(token) else {
                // One answer for every failure: the gateway must not learn which check failed.
                return .failure(
                    ref: ref, channel: nil, code: .refused, message: "the token is unknown, expired or revoked")
            }
            return .authenticated(ref: ref, authenticated)
        case .revokeLease(let ref, let id):
            guard let lease = leases.leases[id] else {
                return .failure(
                    ref: ref, channel: nil, code: .notFound, message: "no lease \(id); see `sealgate leases list`")
            }
            await vault.record("lease.revoke", workspace: lease.info.workspace, target: lease.info.server, detail: id)
            await close(channel: lease.channel, reason: "lease revoked", notify: true)
            return .revoked(ref: ref, lease: id)
        case .request(let channel, _, _, _):
            return .failure(
                ref: nil, channel: channel, code: .internalError, message: "requests are forwarded, not handled")
        default:
            return .failure(
                ref: nil, channel: nil, code: .unknownMessage, message: "the broker does not accept this message")
        }
    }

    /// Forwards an MCP request on a channel; the answer comes back in the neutral model.
    func forward(channel: Int, connection: Int, id: RequestID, method: String, params: JSONValue?) async -> Outcome {
        guard let entry = channels[channel], entry.connection == connection, let upstream = upstreams[entry.key] else {
            return .error(
                JSONRPCError(code: JSONRPCError.invalidRequest, message: "no channel \(channel) on this connection"))
        }
        return await upstream.request(channel: channel, id: id, method: method, params: params)
    }

    // MARK: Channels and leases

    /// Opens a channel; sends `opened` itself (nil is returned then) so that it precedes the channel's traffic.
    private func open(
        ref: String, workspace: String, server: String, session: String, connection: Int, sink: MessageSink
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
        let upstream = upstreams[key] ?? makeUpstream(definition, key: key)
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
        await vault.record(
            "lease.grant", workspace: workspace, target: server, detail: "\(lease.id) session \(session)")
        // Queue `opened` before the upstream may send anything on the channel: the client learns the channel
        // number before any notification or upstream request that names it.
        sink.send(.opened(ref: ref, channel: channel, lease: lease, upstream: info))
        await upstream.attach(channel: channel, sink: sink)
        return nil
    }

    private func makeUpstream(_ definition: ServerDefinition, key: UpstreamKey) -> any Upstream {
        switch definition.transport {
        case .stdio:
            StdioUpstream(
                key: key, vault: vault, supervisor: supervisor, configuration: configuration, eras: eras, logger: logger
            )
        case .http:
            HTTPUpstream(
                key: key, vault: vault, supervisor: supervisor, configuration: configuration, eras: eras,
                logger: logger,
                client: httpClient)
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
