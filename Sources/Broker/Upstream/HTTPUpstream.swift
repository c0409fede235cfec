import AsyncHTTPClient
import BrokerProtocol
import ChannelSupport
import Foundation
import Logging
import MCPWire
import NIOCore
import NIOHTTP1

/// One upstream MCP server over Streamable HTTP, in whichever era it speaks: 2026-07-28 (stateless POSTs with the
/// envelope and `Mcp-Method`/`Mcp-Name` headers) or 2025 (an `initialize`d session with `Mcp-Session-Id`).
/// Injected headers (and a `${NAME}` URL) go on every request; answers come back masked, in the neutral model.
actor HTTPUpstream: Upstream {
    enum Session {
        case modern
        case legacy(id: String?, version: String)
        /// 2024-11-05 HTTP+SSE: a GET stream that names the POST endpoint and carries every answer.
        case sse(endpoint: String, version: String)
    }

    let key: UpstreamKey
    private let vault: VaultService
    private let supervisor: TaskSupervisor
    private let configuration: BrokerConfiguration
    private let eras: EraCache
    private let logger: Logger
    private let client: HTTPClient
    private let counters: BrokerCounters
    private let refresher: OAuthRefresher
    private let clock = ContinuousClock()
    /// Declared in a 2025-era handshake: what this upstream may ask its client (nil: nothing).
    private let clientCapabilities: JSONValue?

    private var plan: HTTPPlan?
    private var session: Session?
    private var info: UpstreamInfo?
    private var starting: [CheckedContinuation<Result<UpstreamInfo, BrokerError>, Never>]?
    private var channels: [Int: MessageSink] = [:]
    private var inFlight: [Int: (channel: Int, originalID: RequestID)] = [:]
    private var cancelWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0
    private var planChanged = false
    private var lastActivity: ContinuousClock.Instant
    private var streamGeneration = 0
    private var streamStop: AsyncStream<Void>.Continuation?
    /// HTTP+SSE: answers that arrived on the stream, and the requests waiting for them.
    private var sseWaiting: [Int: CheckedContinuation<JSONRPCMessage?, Never>] = [:]
    private var sseEarly: [Int: JSONRPCMessage] = [:]
    private var endpointWaiter: CheckedContinuation<String?, Never>?
    /// The stream named an endpoint on another origin: the start fails at once, without waiting for the timeout.
    private var endpointRefused = false
    private var retiredMaskers: [Int] = []
    /// A re-plan under way after an OAuth refresh, joined by every request that waits for it.
    private var replanning: Task<Result<Void, BrokerError>, Never>?
    /// Requests the upstream made of its client, by the id the client will answer.
    private var upstreamRequests: [RequestID: Int] = [:]
    private var progressTokens = ProgressTokens()
    /// Requests for the client made before the first channel was attached (right after the handshake).
    private var early = EarlyRequests()
    /// Whether a session was ever established (the next one is a restart).
    private var hasStarted = false
    /// Whether clients were told the lists changed when the server came to need a login (once per need).
    private var announcedNeedsLogin = false

    nonisolated var processID: Int32? { nil }

    init(
        key: UpstreamKey, vault: VaultService, supervisor: TaskSupervisor, configuration: BrokerConfiguration,
        eras: EraCache, logger: Logger, client: HTTPClient, counters: BrokerCounters, refresher: OAuthRefresher,
        clientCapabilities: JSONValue? = nil
    ) {
        self.clientCapabilities = clientCapabilities
        self.refresher = refresher
        (self.key, self.vault, self.supervisor, self.configuration) = (key, vault, supervisor, configuration)
        (self.eras, self.logger, self.client, self.counters) = (eras, logger, client, counters)
        lastActivity = ContinuousClock.now
    }

    func attach(channel: Int, sink: MessageSink) {
        channels[channel] = sink
        for request in early.take() { deliver(request, to: nil) }
    }

    func detach(channel: Int) -> Int {
        channels[channel] = nil
        progressTokens.forget(channel: channel)
        for (id, entry) in inFlight where entry.channel == channel { cancelWaiters.removeValue(forKey: id)?.resume() }
        return channels.count
    }

    // MARK: Starting

    func ensureStarted() async throws(BrokerError) -> UpstreamInfo {
        if let info, plan != nil, !planChanged { return info }
        if starting != nil {
            let result = await withCheckedContinuation { starting!.append($0) }
            return try result.get()
        }
        starting = []
        let result: Result<UpstreamInfo, BrokerError>
        do {
            result = .success(try await start())
        } catch {
            counters.count(.failed, key)
            result = .failure(await masked(error))
        }
        let waiters = starting ?? []
        starting = nil
        for waiter in waiters { waiter.resume(returning: result) }
        return try result.get()
    }

    /// `renewing`: whether a 401 may still be met by refreshing the OAuth grant once and starting again.
    private func start(renewing: Bool = true) async throws(BrokerError) -> UpstreamInfo {
        // The old masker stays until stop: streams opened under the old plan still read through it.
        if let old = plan { retiredMaskers.append(old.maskerID) }
        let plan = try await vault.httpPlan(server: key.server, workspace: key.workspace, session: key.session)
        self.plan = plan
        planChanged = false
        try await freshenCredentials()
        if session != nil, info != nil {
            return info!  // new headers for the same session: nothing else to redo
        }
        if await eras.era(for: plan.fingerprint) != .legacy {
            let probe = try await handshakeExchange(
                .request(
                    id: RequestID(nextRequestID()), method: "server/discover", params: EraAdapter.discoverParams()),
                session: .modern)
            if probe.status == 200, case .result(_, let result)? = probe.answer,
                EraAdapter.isModern(discoverResult: result)
            {
                await eras.remember(.modern, for: plan.fingerprint)
                return started(.modern, info: EraAdapter.upstreamInfo(from: result, era: .modern))
            }
            if probe.status == 401 || probe.status == 403 {
                if probe.status == 401, renewing, try await renewAfterRefusal() {
                    return try await start(renewing: false)
                }
                throw unauthorized(status: probe.status)
            }
        }
        let initialize = try await handshakeExchange(
            .request(
                id: RequestID(nextRequestID()), method: "initialize",
                params: EraAdapter.initializeParams(capabilities: clientCapabilities)),
            session: .legacy(id: nil, version: ProtocolEra.legacyVersion))
        guard initialize.status == 200, case .result(_, let result)? = initialize.answer else {
            if [400, 404, 405].contains(initialize.status) { return try await startSSE(plan) }
            if initialize.status == 401 || initialize.status == 403 {
                if initialize.status == 401, renewing, try await renewAfterRefusal() {
                    return try await start(renewing: false)
                }
                throw unauthorized(status: initialize.status)
            }
            throw BrokerError(
                .upstreamFailed,
                "upstream \(key.server) answered neither server/discover nor initialize (HTTP \(initialize.status))",
                remedy: "check the URL")
        }
        await eras.remember(.legacy, for: plan.fingerprint)
        let upstreamInfo = EraAdapter.upstreamInfo(from: result, era: .legacy)
        let legacy = Session.legacy(id: initialize.sessionID, version: upstreamInfo.protocolVersion)
        session = legacy
        _ = try? await exchange(
            .notification(method: "notifications/initialized", params: nil), session: legacy,
            timeout: configuration.handshakeTimeout)
        return started(legacy, info: upstreamInfo)
    }

    private func started(_ session: Session, info upstreamInfo: UpstreamInfo) -> UpstreamInfo {
        counters.count(.started(restart: hasStarted), key)
        hasStarted = true
        self.session = session
        info = upstreamInfo
        openNotificationStream()
        logger.info(
            "HTTP upstream ready", metadata: ["upstream": "\(key)", "protocol": "\(upstreamInfo.protocolVersion)"])
        return upstreamInfo
    }

    /// HTTP+SSE (2024-11-05): open the stream, wait for the endpoint it names, then `initialize` through it.
    private func startSSE(_ plan: HTTPPlan) async throws(BrokerError) -> UpstreamInfo {
        session = .sse(endpoint: "", version: ProtocolEra.legacyVersion)
        endpointRefused = false
        openNotificationStream()
        let timeout = configuration.handshakeTimeout
        let endpoint: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask { await self.waitForEndpoint() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                await self.endpointTimedOut()
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let endpoint else {
            session = nil
            if endpointRefused {
                throw BrokerError(
                    .upstreamFailed,
                    "HTTP+SSE upstream \(key.server) named an endpoint on another origin, where its headers must not go",
                    remedy: "check the server's URL; its endpoint must be on the same scheme, host and port")
            }
            throw BrokerError(
                .upstreamFailed, "upstream \(key.server) speaks neither Streamable HTTP nor HTTP+SSE",
                remedy: "check the server's URL")
        }
        let sse = Session.sse(endpoint: endpoint, version: ProtocolEra.legacyVersion)
        session = sse
        let id = nextRequestID()
        let answer: Exchange
        do {
            let initialize = JSONRPCMessage.request(
                id: RequestID(id), method: "initialize",
                params: EraAdapter.initializeParams(capabilities: clientCapabilities))
            guard let reply = try await sseCall(initialize, id: id, endpoint: endpoint, deadline: timeout) else {
                throw BrokerError(
                    .upstreamFailed, "HTTP+SSE upstream \(key.server) did not initialize within \(timeout)")
            }
            answer = reply
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError(.upstreamFailed, "HTTP+SSE upstream \(key.server): \(Self.describe(error))")
        }
        guard case .result(_, let result)? = answer.answer else {
            throw BrokerError(.upstreamFailed, "HTTP+SSE upstream \(key.server) did not initialize")
        }
        await eras.remember(.legacy, for: plan.fingerprint)
        let found = EraAdapter.upstreamInfo(from: result, era: .legacy)
        let negotiated = Session.sse(endpoint: endpoint, version: found.protocolVersion)
        session = negotiated
        _ = try? await exchange(
            .notification(method: "notifications/initialized", params: nil), session: negotiated, timeout: timeout)
        info = found
        return found
    }

    private func waitForEndpoint() async -> String? {
        if case .sse(let endpoint, _)? = session, !endpoint.isEmpty { return endpoint }
        if endpointRefused { return nil }
        return await withCheckedContinuation { endpointWaiter = $0 }
    }

    private func endpointTimedOut() {
        endpointWaiter?.resume(returning: nil)
        endpointWaiter = nil
    }

    /// The endpoint event's path, made absolute against the stream's URL. It must stay on the stream's origin: the
    /// injected headers go wherever it points, and that must not be a host the server chose.
    private func endpointFound(_ path: String) {
        guard let plan, let base = URL(string: plan.url), let url = URL(string: path, relativeTo: base)?.absoluteURL,
            url.scheme == base.scheme, url.host == base.host, url.port == base.port
        else {
            logger.error(
                "HTTP+SSE upstream named an endpoint on another origin; refused", metadata: ["upstream": "\(key)"])
            endpointRefused = true
            endpointWaiter?.resume(returning: nil)
            endpointWaiter = nil
            return
        }
        let resolved = url.absoluteString
        if case .sse(_, let version)? = session { session = .sse(endpoint: resolved, version: version) }
        endpointWaiter?.resume(returning: resolved)
        endpointWaiter = nil
    }

    /// POSTs to the SSE endpoint and waits for the answer to arrive on the stream.
    private func sseCall(_ message: JSONRPCMessage, id: Int, endpoint: String) async throws -> Exchange {
        let posted = try await exchange(
            message, session: .sse(endpoint: endpoint, version: ProtocolEra.legacyVersion),
            timeout: configuration.handshakeTimeout)
        guard (200..<300).contains(posted.status) else { return posted }
        let answer: JSONRPCMessage? = await withCheckedContinuation { continuation in
            if let early = sseEarly.removeValue(forKey: id) { return continuation.resume(returning: early) }
            sseWaiting[id] = continuation
        }
        return Exchange(status: 200, sessionID: nil, answer: answer)
    }

    /// `sseCall` bounded by `deadline`: nil when it passed (the waiting call is released, so nothing hangs).
    private func sseCall(_ message: JSONRPCMessage, id: Int, endpoint: String, deadline: Duration) async throws
        -> Exchange?
    {
        try await withThrowingTaskGroup(of: Exchange?.self) { group in
            group.addTask { try await self.sseCall(message, id: id, endpoint: endpoint) }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return nil
            }
            let first = try await group.next() ?? nil
            releaseCancellation(id)
            group.cancelAll()
            return first
        }
    }

    /// An answer that came on the SSE stream.
    private func sseAnswer(_ message: JSONRPCMessage, id: Int) {
        if let waiter = sseWaiting.removeValue(forKey: id) {
            waiter.resume(returning: message)
        } else {
            sseEarly[id] = message
            if sseEarly.count > 256 { sseEarly.removeValue(forKey: sseEarly.keys.min()!) }
        }
    }

    /// An exchange during start-up, its failure reported without the URL (which may hold a resolved secret).
    /// The whole exchange is bounded: the HTTP client's own timeout covers only the response head.
    private func handshakeExchange(_ message: JSONRPCMessage, session: Session) async throws(BrokerError) -> Exchange {
        let timeout = configuration.handshakeTimeout
        do {
            guard
                let answer = try await withDeadline(
                    timeout, { try await self.exchange(message, session: session, timeout: timeout) })
            else { throw BrokerError(.upstreamFailed, "HTTP upstream \(key.server) did not answer within \(timeout)") }
            return answer
        } catch let error as BrokerError {
            throw error
        } catch {
            throw BrokerError(.upstreamFailed, "cannot reach HTTP upstream \(key.server): \(Self.describe(error))")
        }
    }

    /// An error of the broker's own about this upstream, masked like anything the upstream sends: it may quote what
    /// the HTTP client was given (the resolved URL or a header). Withheld when the masker is gone.
    private func masked(_ error: BrokerError) async -> BrokerError {
        guard let plan else { return error }  // no plan: nothing was resolved (`httpPlan` masks its own errors)
        let message = await vault.mask(error.message, with: plan.maskerID) ?? "(withheld)"
        var remedy: String?
        if let original = error.remedy { remedy = await vault.mask(original, with: plan.maskerID) ?? "(withheld)" }
        return BrokerError(error.code, message, remedy: remedy)
    }

    /// The broker's error outcomes masked (`masked(_:)` above); an upstream's own errors were masked as they came.
    private func masked(_ outcome: Outcome) async -> Outcome {
        guard case .error(let error) = outcome, let plan else { return outcome }
        guard let message = await vault.mask(error.message, with: plan.maskerID) else {
            return .error(JSONRPCError(code: error.code, message: "(withheld)"))
        }
        return .error(JSONRPCError(code: error.code, message: message, data: error.data))
    }

    /// An HTTP client error in words that never include the request URL.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: type(of: error))
    }

    private func nextRequestID() -> Int {
        nextID += 1
        return nextID
    }

    // MARK: Requests

    func request(channel: Int, id originalID: RequestID, method: String, params: JSONValue?) async -> Outcome {
        do {
            _ = try await ensureStarted()
        } catch {
            return .error(JSONRPCError(code: JSONRPCError.internalError, message: error.description))
        }
        guard let session else {
            return .error(
                JSONRPCError(code: JSONRPCError.internalError, message: "upstream \(key.server) is not connected"))
        }
        do {
            try await freshenCredentials()
        } catch {
            return .error(JSONRPCError(code: JSONRPCError.internalError, message: await masked(error).description))
        }
        lastActivity = clock.now
        let id = nextRequestID()
        inFlight[id] = (channel, originalID)
        let (upstreamParams, progressToken) = progressTokens.map(
            EraAdapter.upstreamParams(params, era: session.era), channel: channel)
        defer {
            inFlight[id] = nil
            progressTokens.release(progressToken)
        }
        let message = JSONRPCMessage.request(id: RequestID(id), method: method, params: upstreamParams)
        let timeout = configuration.requestTimeout
        let unmasked: Outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    let result =
                        if case .sse(let endpoint, _) = session {
                            try await self.sseCall(message, id: id, endpoint: endpoint)
                        } else {
                            try await self.authorizedExchange(
                                message, session: session, timeout: timeout, channel: channel)
                        }
                    switch result.answer {
                    case .result(_, let value)?: return .result(EraAdapter.neutralResult(value))
                    case .error(_, let error)?: return .error(error)
                    default:
                        return .error(
                            JSONRPCError(
                                code: JSONRPCError.internalError,
                                message: "upstream \(self.key.server) answered HTTP \(result.status) without a response"
                            ))
                    }
                } catch let error as BrokerError {
                    return .error(JSONRPCError(code: JSONRPCError.internalError, message: error.description))
                } catch {
                    return .error(
                        JSONRPCError(
                            code: JSONRPCError.internalError,
                            message: "upstream \(self.key.server): \(Self.describe(error))"))
                }
            }
            group.addTask {
                await self.waitForCancellation(id)
                return Task.isCancelled
                    ? nil : .error(JSONRPCError(code: JSONRPCError.internalError, message: "request cancelled"))
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if Task.isCancelled { return nil }
                return .error(
                    JSONRPCError(
                        code: JSONRPCError.internalError,
                        message: "upstream \(self.key.server) did not answer within \(timeout)",
                        data: .object(["reason": "timeout"])))
            }
            var first: Outcome?
            while first == nil, let next = await group.next() { first = next }
            self.releaseCancellation(id)
            group.cancelAll()  // ends the HTTP exchange, which is how a modern server learns of a cancellation
            return first!
        }
        let outcome = await masked(unmasked)
        if case .error(let error) = outcome, error.message == "request cancelled" || error.data?["reason"] == "timeout",
            session.era == .legacy
        {
            _ = try? await exchange(
                .notification(method: "notifications/cancelled", params: .object(["requestId": JSONValue(id)])),
                session: session, timeout: configuration.handshakeTimeout)
        }
        if planChanged { _ = try? await ensureStarted() }
        return outcome
    }

    private func waitForCancellation(_ id: Int) async {
        await withCheckedContinuation { continuation in
            guard inFlight[id] != nil else { return continuation.resume() }
            cancelWaiters[id] = continuation
        }
    }

    private func releaseCancellation(_ id: Int) {
        cancelWaiters.removeValue(forKey: id)?.resume()
        sseWaiting.removeValue(forKey: id)?.resume(returning: nil)
        sseEarly[id] = nil
    }

    func cancel(channel: Int, originalID: RequestID, reason: JSONValue?) {
        guard let id = inFlight.first(where: { $0.value.channel == channel && $0.value.originalID == originalID })?.key
        else { return }
        cancelWaiters.removeValue(forKey: id)?.resume()
    }

    /// A client notification for the upstream, POSTed like any message (answers are 202 and carry nothing).
    func notify(method: String, params: JSONValue?) async {
        guard let session else { return }
        _ = try? await exchange(
            .notification(method: method, params: EraAdapter.upstreamParams(params, era: session.era)),
            session: session,
            timeout: configuration.handshakeTimeout)
    }

    /// The client's answer to a request the upstream made (sampling, elicitation, roots).
    func reply(channel: Int, id: RequestID, outcome: Outcome) async {
        guard upstreamRequests.removeValue(forKey: id) == channel, let session else { return }
        let message: JSONRPCMessage =
            switch outcome {
            case .result(let result): .result(id: id, result: result)
            case .error(let error): .error(id: id, error)
            }
        _ = try? await exchange(message, session: session, timeout: configuration.handshakeTimeout)
    }

    // MARK: OAuth

    /// Before a request: a grant that needs a login fails it with the command that helps; one near its expiry is
    /// refreshed first (and its new token used), so requests do not wait for a 401 to learn of it.
    private func freshenCredentials() async throws(BrokerError) {
        guard let oauth = plan?.oauth else { return }
        counters.setNeedsLogin(oauth.needsLogin, workspace: key.workspace, server: key.server)
        if oauth.needsLogin { throw needsLogin(oauth.failure ?? "its grant was refused") }
        announcedNeedsLogin = false
        let now = OAuthCredentials.nowMilliseconds()
        guard oauth.canRefresh, let refreshAt = oauth.refreshAt, now >= refreshAt else { return }
        try await renew(stale: oauth.tokensVersion, expired: oauth.expiresAt.map { now >= $0 } ?? false)
    }

    /// Gets tokens newer than `stale` (one refresh for all the callers of a server: `OAuthRefresher`) and a plan
    /// with them. A transient failure is an error only once the token has `expired`.
    private func renew(stale: Int64, expired: Bool) async throws(BrokerError) {
        switch await refresher.renew(workspace: key.workspace, server: key.server, stale: stale) {
        case .renewed:
            if plan?.oauth?.tokensVersion == stale { try await replan() }
        case .needsLogin(let reason):
            try? await replan()
            counters.setNeedsLogin(true, workspace: key.workspace, server: key.server)
            if !announcedNeedsLogin {
                announcedNeedsLogin = true
                announceListsMayHaveChanged(to: channels)  // its tools are gone until the next login
            }
            throw needsLogin(reason)
        case .failed(let reason):
            guard expired else { return }
            throw BrokerError(
                .upstreamFailed,
                "the OAuth token of server '\(key.server)' expired and could not be refreshed (\(reason))",
                remedy:
                    "it is tried again at the next request; `sealgate oauth status --workspace \(key.workspace)` shows the grant"
            )
        }
    }

    /// The upstream answered 401: refresh once, if there is a grant to refresh. Returns whether to try again.
    /// `used`: the tokens version the refused request carried (the plan may have moved on since it was sent: then
    /// there is nothing to refresh, only to try again with the newer token).
    private func renewAfterRefusal(used: Int64? = nil) async throws(BrokerError) -> Bool {
        guard let oauth = plan?.oauth else { return false }
        let stale = used ?? oauth.tokensVersion
        if stale < oauth.tokensVersion { return true }
        try await renew(stale: stale, expired: true)
        return true
    }

    /// A plan with the grant's current tokens, for the same session and under the same masker id (its masker is
    /// replaced in place: `VaultService.httpPlan(replacing:)`), so a stream opened under the old plan masks the new
    /// tokens too. Every request that waited for one refresh takes the one new plan: a re-plan under way is joined,
    /// and a plan is never replaced by one with older tokens.
    private func replan() async throws(BrokerError) {
        if let replanning { return try await replanning.value.get() }
        let task = Task { () -> Result<Void, BrokerError> in
            do throws(BrokerError) {
                let fresh = try await vault.httpPlan(
                    server: key.server, workspace: key.workspace, session: key.session, replacing: plan?.maskerID)
                if let old = plan, old.maskerID != fresh.maskerID { retiredMaskers.append(old.maskerID) }
                if (fresh.oauth?.tokensVersion ?? 0) >= (plan?.oauth?.tokensVersion ?? 0) { plan = fresh }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        replanning = task
        defer { replanning = nil }
        try await task.value.get()
    }

    /// One exchange; on a 401, the grant is refreshed once and the exchange tried once more.
    private func authorizedExchange(
        _ message: JSONRPCMessage, session: Session, timeout: Duration, channel: Int?
    ) async throws -> Exchange {
        let used = plan?.oauth?.tokensVersion  // `exchange` reads the plan before its first suspension
        let first = try await exchange(message, session: session, timeout: timeout, channel: channel)
        guard first.status == 401 else { return first }
        guard try await renewAfterRefusal(used: used) else { throw unauthorized(status: 401) }
        let second = try await exchange(message, session: session, timeout: timeout, channel: channel)
        if second.status == 401 { throw unauthorized(status: 401) }
        return second
    }

    private func needsLogin(_ reason: String) -> BrokerError {
        BrokerError(
            .refused,
            "server '\(key.server)' in workspace '\(key.workspace)' needs an OAuth login (\(reason))",
            remedy: "run `sealgate oauth login \(key.server) --workspace \(key.workspace)`")
    }

    /// The upstream refused what it was sent: with no grant, it wants one (a login); with one, the grant failed.
    private func unauthorized(status: Int) -> BrokerError {
        if status == 401, plan?.oauth == nil {
            counters.setNeedsLogin(true, workspace: key.workspace, server: key.server)
            return needsLogin("it asks for authorization (HTTP 401) and no one is logged in")
        }
        return BrokerError(
            .refused, "upstream \(key.server) refused the credentials (HTTP \(status))",
            remedy: plan?.oauth == nil
                ? "check its secrets"
                : "run `sealgate oauth login \(key.server) --workspace \(key.workspace)` if its grant no longer works")
    }

    // MARK: HTTP

    struct Exchange: Sendable {
        let status: Int
        let sessionID: String?
        let answer: JSONRPCMessage?
    }

    /// POSTs one message and reads the answer (JSON or SSE). Notifications that arrive on the way are delivered.
    private func exchange(
        _ message: JSONRPCMessage, session: Session, timeout: Duration, channel: Int? = nil
    ) async throws -> Exchange {
        guard let plan else { throw BrokerError(.upstreamFailed, "no plan") }
        var target = plan.url
        if case .sse(let endpoint, _) = session { target = endpoint }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        for header in plan.headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        switch session {
        case .modern:
            request.headers.add(name: "MCP-Protocol-Version", value: ProtocolEra.modernVersion)
            if let method = message.method { request.headers.add(name: "Mcp-Method", value: method) }
            if case .request(_, let method, let params) = message,
                ["tools/call", "prompts/get", "resources/read"].contains(method),
                let name = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
            {
                request.headers.add(name: "Mcp-Name", value: Self.headerSafe(name))
            }
        case .legacy(let id, let version):
            if message.method != "initialize" { request.headers.add(name: "MCP-Protocol-Version", value: version) }
            if let id { request.headers.add(name: "Mcp-Session-Id", value: id) }
        case .sse:
            break
        }
        // A heavy body is serialized on the thread pool, not on the few threads the broker's other tasks share.
        let body =
            message.outweighs(HeavyWork.weight)
            ? try await HeavyWork.run { ByteBuffer(bytes: message.serialized) } : ByteBuffer(bytes: message.serialized)
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.milliseconds) * 1_000_000))
        let status = Int(response.status.code)
        let sessionID = response.headers.first(name: "mcp-session-id")
        guard case .request(let requestID, _, _) = message else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            return Exchange(status: status, sessionID: sessionID, answer: nil)
        }
        let isStream =
            response.headers.first(name: "content-type")?.lowercased().hasPrefix("text/event-stream") ?? false
        var answer: JSONRPCMessage?
        if isStream {
            var parser = SSEParser()
            reading: for try await chunk in response.body {
                for event in parser.feed(chunk.readableBytesView) where event.event == "message" {
                    guard let parsed = try? JSONRPCMessage.parse(Array(event.data.utf8)) else { continue }
                    guard let masked = await vault.mask(parsed, with: plan.maskerID) else { continue }
                    if case .result(requestID, _) = masked { answer = masked; break reading }
                    if case .error(requestID?, _) = masked { answer = masked; break reading }
                    deliver(masked, to: channel)
                }
            }
        } else {
            let body = try await response.body.collect(upTo: 16 << 20)
            if let parsed = try? JSONRPCMessage.parse(body.readableBytesView) {
                answer = await vault.mask(parsed, with: plan.maskerID)
            }
        }
        return Exchange(status: status, sessionID: sessionID, answer: answer)
    }

    /// Routes what the upstream sent besides an answer: progress to the request it was given for, other notifications to
    /// every channel, a request of its own to the channel whose call it came with (or the oldest in flight).
    private func deliver(_ message: JSONRPCMessage, to channel: Int?) {
        if case .request(let id, let method, let params) = message {
            let target = channel ?? inFlight.keys.min().flatMap { inFlight[$0]?.channel } ?? channels.keys.min()
            if target == nil, early.hold(message) { return }
            if let target, let sink = channels[target],
                sink.sendUnasked(.upstreamRequest(channel: target, id: id, method: method, params: params))
            {
                upstreamRequests[id] = target
            }
            return
        }
        guard case .notification(let method, let params) = message else { return }
        guard method != "notifications/subscriptions/acknowledged" else { return }
        // Progress reaches only the request its token was given for, and only from that request's own stream when it
        // came on one; anything else, guessed or stale, is dropped.
        if method == "notifications/progress" {
            guard let target = progressTokens.route(params, arrivedFor: channel) else { return }
            channels[target.channel]?.sendUnasked(
                .notification(
                    channel: target.channel, method: method,
                    params: EraAdapter.neutralNotificationParams(target.params)))
            return
        }
        let neutral = EraAdapter.neutralNotificationParams(params)
        for (channel, sink) in channels {
            sink.sendUnasked(.notification(channel: channel, method: method, params: neutral))
        }
    }

    /// `Mcp-Name` must be visible ASCII; anything else goes base64-encoded in the spec's sentinel form.
    static func headerSafe(_ value: String) -> String {
        let plain = value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } && !value.hasPrefix("=?")
        return plain ? value : "=?base64?\(Data(value.utf8).base64EncodedString())?="
    }

    // MARK: Change notifications

    /// Keeps the upstream's change notifications flowing: the session's GET stream (2025) or a
    /// `subscriptions/listen` POST (2026), reopened after a pause if it drops.
    private func openNotificationStream() {
        streamStop?.finish()
        streamGeneration += 1
        let generation = streamGeneration
        let (stopSignal, stop) = AsyncStream<Void>.makeStream()
        streamStop = stop
        supervisor.spawn { [self] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled, await self.isCurrentStream(generation) {
                        try? await self.readNotificationStream()
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                group.addTask { for await _ in stopSignal {} }
                await group.next()
                group.cancelAll()
            }
        }
    }

    private func isCurrentStream(_ generation: Int) -> Bool { generation == streamGeneration && session != nil }

    private func readNotificationStream() async throws {
        guard let plan, let session else { return }
        var request = HTTPClientRequest(url: plan.url)
        for header in plan.headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        request.headers.add(name: "Accept", value: "text/event-stream")
        switch session {
        case .modern:
            let listen = JSONRPCMessage.request(
                id: RequestID(nextRequestID()), method: "subscriptions/listen",
                params: EraAdapter.upstreamParams(
                    .object([
                        "notifications": .object([
                            "toolsListChanged": true, "promptsListChanged": true, "resourcesListChanged": true,
                        ])
                    ]),
                    era: .modern))
            request.method = .POST
            request.headers.add(name: "Accept", value: "application/json")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "MCP-Protocol-Version", value: ProtocolEra.modernVersion)
            request.headers.add(name: "Mcp-Method", value: "subscriptions/listen")
            request.body = .bytes(ByteBuffer(bytes: listen.serialized))
        case .legacy(let id, let version):
            guard let id else { return }
            request.method = .GET
            request.headers.add(name: "Mcp-Session-Id", value: id)
            request.headers.add(name: "MCP-Protocol-Version", value: version)
        case .sse:
            request.method = .GET
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .ok else {
            _ = try? await response.body.collect(upTo: 1 << 16)
            try await Task.sleep(for: .seconds(30))  // the server offers no stream; check again now and then
            return
        }
        var parser = SSEParser()
        for try await chunk in response.body {
            for event in parser.feed(chunk.readableBytesView) {
                if event.event == "endpoint" {
                    endpointFound(event.data)
                    continue
                }
                guard event.event == "message", let parsed = try? JSONRPCMessage.parse(Array(event.data.utf8)) else {
                    continue
                }
                guard let masked = await vault.mask(parsed, with: plan.maskerID) else { continue }
                switch masked {
                case .result(.number(let n), _), .error(.number(let n)?, _):
                    if let id = Int(n) { sseAnswer(masked, id: id) }
                default:
                    deliver(masked, to: nil)
                }
            }
        }
        // An HTTP+SSE session lives only as long as its stream: start over on the next request.
        if case .sse? = self.session {
            self.session = nil
            info = nil
        }
    }

    // MARK: Stopping

    func stop() async {
        streamStop?.finish()
        streamStop = nil
        if case .legacy(let id?, let version)? = session, let plan {
            var request = HTTPClientRequest(url: plan.url)
            request.method = .DELETE
            for header in plan.headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
            request.headers.add(name: "Mcp-Session-Id", value: id)
            request.headers.add(name: "MCP-Protocol-Version", value: version)
            if let response = try? await client.execute(request, timeout: .seconds(5)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
            }
        }
        if let plan { await vault.dropMasker(plan.maskerID) }
        for maskerID in retiredMaskers { await vault.dropMasker(maskerID) }
        retiredMaskers = []
        session = nil
        info = nil
        plan = nil
    }

    /// New secrets or a changed definition: the next request resolves the headers (and URL) again.
    func refresh(fingerprint: String) {
        // Once per change: the plan is made again only at the next request, and until then every configuration
        // change would find the old fingerprint here.
        guard let plan, plan.fingerprint != fingerprint, !planChanged else { return }
        planChanged = true
        announceListsMayHaveChanged(to: channels)  // a list asked for now goes out with the new plan
    }

    func stopIfIdle() {
        guard session != nil, inFlight.isEmpty, clock.now - lastActivity >= configuration.idleTimeout else { return }
        streamStop?.finish()
        streamStop = nil
        session = nil
        info = nil
    }

    func expireOverdue() {}
}

extension HTTPUpstream.Session {
    var era: ProtocolEra {
        if case .modern = self { return .modern }
        return .legacy
    }
}

extension Optional where Wrapped == HTTPUpstream.Session {
    var era: ProtocolEra { self?.era ?? .legacy }
}

/// Runs `operation`, giving up after `duration`: nil then, and the operation is cancelled.
func withDeadline<T: Sendable>(
    _ duration: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next() ?? nil
    }
}
