import BrokerProtocol
import Logging
import MCPWire
import NIOHTTP1

/// The gateway's HTTP endpoints: routing, authorization, then the MCP front of the client's era and transport.
final class Front: Sendable {
    let broker: BrokerAccess
    let authenticator: Authenticator
    let dispatcher: Dispatcher
    let subscribers: Subscribers
    let sessions: SessionTable
    let pool: ChannelPool
    let logger: Logger
    let requestLog: RequestLog
    let metrics: GatewayMetrics
    /// Lets peers other than loopback read `/metrics` when they present it; nil: loopback peers only.
    let metricsToken: String?
    /// The `Host` values served (the DNS-rebinding defence).
    let hostCheck: HostCheck
    /// Each workspace's large bodies in flight, capped.
    let largeBodies = LargeBodies()

    init(
        broker: BrokerAccess, authenticator: Authenticator, dispatcher: Dispatcher, subscribers: Subscribers,
        sessions: SessionTable, pool: ChannelPool, metrics: GatewayMetrics, metricsToken: String?,
        hostCheck: HostCheck, logger: Logger
    ) {
        (self.broker, self.authenticator, self.dispatcher) = (broker, authenticator, dispatcher)
        (self.subscribers, self.sessions, self.pool, self.logger) = (subscribers, sessions, pool, logger)
        (self.metrics, self.metricsToken, self.hostCheck) = (metrics, metricsToken, hostCheck)
        requestLog = RequestLog(logger: logger)
    }

    /// Who is asking, for which workspace, with what access.
    struct Caller: Sendable {
        let token: AuthenticatedToken
        let target: Target
        let access: Access
    }

    /// Answers one request, counts it, and logs it in one line (at `info`).
    func respond(_ request: HTTPRequest) async -> HTTPAnswer {
        let note = RequestNote()
        let started = requestLog.isEnabled ? ContinuousClock.now : nil
        let answer = await route(request, note: note)
        metrics.httpRequest(status: answer.statusCode)
        if let started { requestLog.write(request, answer, note, elapsed: ContinuousClock.now - started) }
        return answer
    }

    /// Looks at a request with a body on its head alone, before the body is read: everything `route` checks
    /// before it reads a body (`Host`, path, `Origin`, token, method). An answer (counted and logged like any
    /// other) is sent without reading the body; nil lets the body be read, and `respond` checks it all again.
    func admit(_ request: HTTPRequest) async -> HTTPAnswer? {
        let note = RequestNote()
        let started = requestLog.isEnabled ? ContinuousClock.now : nil
        guard case .answered(let answer) = await screen(request, note: note) else { return nil }
        metrics.httpRequest(status: answer.statusCode)
        if let started { requestLog.write(request, answer, note, elapsed: ContinuousClock.now - started) }
        return answer
    }

    /// What the checks of a request's head decided.
    private enum Screening {
        /// Answered without its body: a refusal, `/healthz` or `/metrics`.
        case answered(HTTPAnswer)
        /// An MCP endpoint, served to this caller by `endpoint` with the request's method.
        case passed(Caller, endpoint: Substring)
    }

    /// The routes: `/ws/{slug}/{mcp,sse,messages}`, `/active/{mcp,sse,messages}`, `/healthz`, `/metrics`.
    private func route(_ request: HTTPRequest, note: RequestNote) async -> HTTPAnswer {
        let (caller, endpoint): (Caller, Substring)
        switch await screen(request, note: note) {
        case .answered(let answer): return answer
        case .passed(let passed, let served): (caller, endpoint) = (passed, served)
        }
        switch (endpoint, request.method) {
        case ("mcp", .GET): return openStream(request, caller: caller)
        case ("mcp", .DELETE): return deleteSession(request, caller: caller)
        case ("sse", .GET): return openSSE(request, caller: caller)
        default: break
        }
        guard let admission = largeBodies.admit(request.body.readableBytes, workspace: caller.access.workspace.slug)
        else {
            return .text(
                .tooManyRequests,
                "this workspace has too many large requests in flight; retry when one has been answered\n",
                headers: ["Retry-After": "1"])
        }
        if endpoint == "mcp" {
            defer { admission.end() }
            return await post(request, caller: caller, note: note)
        }
        return await postMessage(request, caller: caller, note: note, admission: admission)
    }

    /// The checks that need only the head, in order: `Host`, route, `Origin`, token, method.
    private func screen(_ request: HTTPRequest, note: RequestNote) async -> Screening {
        switch hostCheck.refusal(request) {
        case .malformed: return .answered(.text(.badRequest, "a request needs exactly one Host header\n"))
        case .foreign:
            return .answered(
                .text(.forbidden, "this gateway answers to localhost, loopback addresses and its listen address only\n")
            )
        case nil: break
        }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        if parts == ["healthz"] {
            return .answered(
                broker.isReady ? .text(.ok, "ok\n") : .text(.serviceUnavailable, "waiting for the broker\n"))
        }
        if parts == ["metrics"] { return .answered(await serveMetrics(request)) }
        let target: Target
        let endpoint: Substring
        switch parts.count {
        case 3 where parts[0] == "ws": (target, endpoint) = (.workspace(String(parts[1])), parts[2])
        case 2 where parts[0] == "active": (target, endpoint) = (.active, parts[1])
        default: return .answered(.text(.notFound, "no such endpoint\n"))
        }
        guard ["mcp", "sse", "messages"].contains(endpoint) else {
            return .answered(.text(.notFound, "no such endpoint\n"))
        }
        if let refusal = checkOrigin(request) { return .answered(refusal) }
        let caller: Caller
        switch await authorize(request, target: target) {
        case .success(let authorized): caller = authorized
        case .failure(let answer): return .answered(answer)
        }
        note.caller = caller.access.caller
        switch (endpoint, request.method) {
        case ("mcp", .POST), ("mcp", .GET), ("mcp", .DELETE), ("sse", .GET), ("messages", .POST):
            return .passed(caller, endpoint: endpoint)
        case ("mcp", _): return .answered(.text(.methodNotAllowed, headers: ["Allow": "GET, POST, DELETE"]))
        case ("sse", _): return .answered(.text(.methodNotAllowed, headers: ["Allow": "GET"]))
        default: return .answered(.text(.methodNotAllowed, headers: ["Allow": "POST"]))
        }
    }

    private enum Authorization {
        case success(Caller)
        case failure(HTTPAnswer)
    }

    /// A valid token that reaches the target's workspace, or the one 401 (or 429 while a peer is limited).
    private func authorize(_ request: HTTPRequest, target: Target) async -> Authorization {
        guard let token = request.bearerToken else {
            metrics.authFailure(.missing)
            return .failure(.unauthorized)
        }
        switch await authenticator.check(token, peer: request.peer) {
        case .limited:
            metrics.authFailure(.limited)
            return .failure(
                .text(.tooManyRequests, "too many failed attempts; retry later\n", headers: ["Retry-After": "1"]))
        case .unavailable:
            return .failure(
                .text(
                    .serviceUnavailable, "the gateway cannot reach its broker right now; retry shortly\n",
                    headers: ["Retry-After": "1"]))
        case .invalid:
            metrics.authFailure(.invalid)
            logger.info("refused a token", metadata: ["peer": "\(request.peer)"])
            return .failure(.unauthorized)
        case .valid(let authenticated):
            let current = broker.currentSnapshot()  // read after the check, which may have waited for the broker
            // Access is found by the token's name, so the snapshot must list this very token under it: not a revoked
            // token whose name went to this one (a snapshot older than the token), nor a newer token of the name.
            guard let slug = target.slug(in: current), current.lists(authenticated),
                let access = Access(token: authenticated, workspace: slug, snapshot: current)
            else {
                metrics.authFailure(.notGranted)
                return .failure(.unauthorized)
            }
            return .success(Caller(token: authenticated, target: target, access: access))
        }
    }

    /// Browsers send `Origin`; only pages served from this machine's loopback names may call the gateway. (A page
    /// of another site reaching a loopback gateway through DNS rebinding sends its own host in both `Origin` and
    /// `Host`, so matching them proves nothing.) MCP clients that are not browsers send no `Origin`.
    func checkOrigin(_ request: HTTPRequest) -> HTTPAnswer? {
        guard let origin = request.header("Origin") else { return nil }
        return Self.isLoopbackOrigin(origin) ? nil : .text(.forbidden, "cross-origin requests are refused\n")
    }

    /// Whether `origin` (`scheme://host[:port]`) names a loopback host.
    static func isLoopbackOrigin(_ origin: String) -> Bool {
        guard let marker = origin.firstRange(of: "://") else { return false }
        let authority = origin[marker.upperBound...]
        let host: Substring
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[...close]
        } else {
            host = authority.prefix { $0 != ":" && $0 != "/" }
        }
        return ["localhost", "127.0.0.1", "[::1]"].contains(host.lowercased())
    }

    /// Routes a POST on `/mcp` by era: a request carrying the 2026-07-28 envelope (or header) is served
    /// statelessly; anything else belongs to a 2025-era session.
    private func post(_ request: HTTPRequest, caller: Caller, note: RequestNote) async -> HTTPAnswer {
        let message: JSONRPCMessage
        do {
            message = try await request.message()
        } catch {
            return .error(.badRequest, id: nil, error.code, error.message)
        }
        note.describe(message)
        if ModernFront.claimsModern(message, request) {
            return await ModernFront(front: self).handle(message, request, caller: caller)
        }
        return await LegacyFront(front: self).post(message, request, caller: caller)
    }
}
