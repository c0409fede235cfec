import BrokerProtocol
import MCPWire
import NIOHTTP1

/// 2025-era clients: `initialize` opens a session, later messages name it (`Mcp-Session-Id` on `/mcp`, the
/// `sessionId` query on `/messages`), and server-initiated messages go on the session's streams.
struct LegacyFront {
    let front: Front

    /// A POST on `/mcp` outside the 2026-07-28 era.
    func post(_ message: JSONRPCMessage, _ request: HTTPRequest, caller: Front.Caller) async -> HTTPAnswer {
        if let version = request.header("MCP-Protocol-Version"), !Eras.legacy.contains(version) {
            return .error(
                .badRequest, id: nil, JSONRPCError.invalidRequest,
                "Bad Request: Unsupported protocol version \(version)",
                data: .object(["supported": .array((Eras.legacy + [Eras.modern]).map(JSONValue.string))]))
        }
        if case .request(let id, "initialize", let params) = message {
            let session: LegacySession
            switch front.startSession(caller: caller, era: .streamable) {
            case .started(let started): session = started
            case .tooMany:
                return .error(
                    .tooManyRequests, id: id, JSONRPCError.invalidRequest,
                    Self.tooManySessions(front.sessions.maximumPerToken))
            case .tokenGone: return .unauthorized
            }
            session.clientRequests.declare(initializeParams: params)
            let result = Eras.initializeResult(params: params, workspace: caller.access.workspace.slug)
            return .message(.ok, .result(id: id, result: result), headers: ["Mcp-Session-Id": session.id])
        }
        guard let sessionID = request.header("Mcp-Session-Id") else {
            return .error(.badRequest, id: nil, JSONRPCError.invalidRequest, "Bad Request: Missing session ID")
        }
        guard let session = front.session(sessionID, caller: caller) else { return Self.unknownSession }
        session.touch()
        guard case .request(let id, let method, let params) = message else {
            handleUnanswered(message, session: session)
            return .accepted
        }
        guard params?["_meta"]?["progressToken"] != nil else {
            let answer = await answer(id: id, method: method, params: params, session: session, caller: caller) { _ in }
            return await .forwarded(.ok, answer)
        }
        let stream = EventStream()
        let task = Task {
            let answer = await answer(id: id, method: method, params: params, session: session, caller: caller) {
                stream.send($0)
            }
            stream.send(answer)
            stream.finish()
        }
        stream.onTermination { task.cancel() }
        return .stream([:], stream)
    }

    static let unknownSession = HTTPAnswer.error(.notFound, id: nil, JSONRPCError.invalidRequest, "Session not found")
    static func tooManySessions(_ limit: Int) -> String {
        "this token already holds \(limit) sessions, the most it may: end one (DELETE with its Mcp-Session-Id) or wait for an idle one to expire"
    }

    /// The answer to one request of a session. `emit` carries progress notifications (on the POST's stream, or on
    /// the session's `/sse` stream).
    func answer(
        id: RequestID, method: String, params: JSONValue?, session: LegacySession, caller: Front.Caller,
        emit: @escaping @Sendable (JSONRPCMessage) -> Void
    ) async -> JSONRPCMessage {
        switch method {
        case "ping":
            return .result(id: id, result: .object([:]))
        case "logging/setLevel":
            guard let level = params?["level"]?.stringValue.flatMap(LogLevel.init(name:)) else {
                let names = LogLevel.allCases.map(\.name).joined(separator: ", ")
                return .error(
                    id: id,
                    JSONRPCError(code: JSONRPCError.invalidParams, message: "params.level must be one of \(names)"))
            }
            session.setLogLevel(level)
            return .result(id: id, result: .object([:]))
        case "initialize":
            return .error(
                id: id, JSONRPCError(code: JSONRPCError.invalidRequest, message: "the session is already initialized"))
        default:
            break
        }
        if method == "resources/unsubscribe",
            let kept = await keepSharedSubscription(id: id, params: params, session: session, caller: caller)
        {
            return kept
        }
        let dispatcher = front.dispatcher
        let task = Task {
            await InputRequiredShim(session: session).outcome(method, params: params) { params in
                await dispatcher.handle(method, params: params, access: caller.access, session: session.brokerSession) {
                    emit(.notification(method: "notifications/progress", params: $0))
                }
            }
        }
        session.track(id) { task.cancel() }
        let outcome = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        session.untrack(id)
        switch outcome {
        case .result(let result):
            if method == "resources/subscribe" || method == "resources/unsubscribe" {
                await noteSubscription(method, params: params, session: session, caller: caller)
            }
            return .result(id: id, result: result)
        case .error(let error): return .error(id: id, error)
        }
    }

    /// A subscription the upstream accepted (or ended) is remembered in the session, whose stream then gets that
    /// resource's updates under the address the client used (`SessionRelay`).
    private func noteSubscription(
        _ method: String, params: JSONValue?, session: LegacySession, caller: Front.Caller
    ) async {
        guard let address = params?["uri"]?.stringValue,
            let resource = await subscribed(address, session: session, caller: caller)
        else { return }
        session.setSubscription(resource, address: method == "resources/subscribe" ? address : nil)
    }

    /// A shared server holds one subscription for every session: while another session still subscribes to the
    /// resource, this session's unsubscribe ends only its own (answered here, `{}`), not the server's.
    private func keepSharedSubscription(
        id: RequestID, params: JSONValue?, session: LegacySession, caller: Front.Caller
    ) async -> JSONRPCMessage? {
        guard let address = params?["uri"]?.stringValue,
            let resource = await subscribed(address, session: session, caller: caller),
            SessionRelay.isShared(
                ChannelKey(workspace: resource.workspace, server: resource.server, session: session.brokerSession),
                in: front.broker.currentSnapshot()),
            front.sessions.othersSubscribe(to: resource, except: session.id)
        else { return nil }
        session.setSubscription(resource, address: nil)
        return .result(id: id, result: .object([:]))
    }

    /// The resource a client address names, for this caller.
    private func subscribed(
        _ address: String, session: LegacySession, caller: Front.Caller
    ) async -> LegacySession.ResourceKey? {
        guard
            let (server, uri) = await front.dispatcher.catalog.resolveResource(
                address, access: caller.access, session: session.brokerSession)
        else { return nil }
        return LegacySession.ResourceKey(workspace: caller.access.workspace.slug, server: server, uri: uri)
    }

    /// Notifications and responses from the client: a cancellation, an answer to an upstream's request (passed to
    /// that upstream), and a change of roots (passed to every upstream of the session) do something.
    func handleUnanswered(_ message: JSONRPCMessage, session: LegacySession) {
        switch message {
        case .notification("notifications/cancelled", let params):
            if let requestID = params?["requestId"].flatMap(RequestID.init(json:)) { session.cancel(requestID) }
        case .notification("notifications/roots/list_changed", let params):
            // To the session's own 2025-era upstreams, which were told of its roots: not to a shared server (which
            // was told of none), nor to a 2026-07-28 one (whose revision removed the notification).
            guard let link = try? front.broker.link() else { return }
            let snapshot = front.broker.currentSnapshot()
            for (key, channel) in front.pool.channels(inSession: session.brokerSession)
            where !SessionRelay.isShared(key, in: snapshot) && channel.upstream.protocolVersion != Eras.modern {
                link.send(.notify(channel: channel.number, method: "notifications/roots/list_changed", params: params))
            }
        case .result(let id, let result):
            front.answerUpstream(session.clientRequests.answered(id, with: .result(result)), with: .result(result))
        case .error(let id?, let error):
            front.answerUpstream(session.clientRequests.answered(id, with: .error(error)), with: .error(error))
        default:
            break
        }
    }
}

extension Front {
    /// What `startSession` did.
    enum SessionStart {
        case started(LegacySession)
        /// The token holds as many sessions as it may (counted in `/metrics`).
        case tooMany
        /// The token was revoked, or its name given to another token, after it was authorized (answered 401).
        case tokenGone
    }

    /// Creates a 2025-era session for `caller` and subscribes it to changes.
    func startSession(caller: Caller, era: SessionEra) -> SessionStart {
        let session = LegacySession(target: caller.target, token: caller.token)
        guard sessions.add(session) else {
            metrics.sessionRefused()
            logger.notice(
                "session refused: the token holds the most sessions it may",
                metadata: ["caller": "\(caller.access.caller)", "limit": "\(sessions.maximumPerToken)"])
            return .tooMany
        }
        // Judged by the snapshot current once the subscriber is in: one that arrived since `caller` was authorized
        // (its token revoked) was never shown to it, and would otherwise leave the session open.
        let subscriber = subscribers.add(
            Subscribers.Subscriber(
                era: era, target: caller.target, token: caller.token,
                fingerprint: caller.access.fingerprint,
                kinds: Set(ListKind.allCases),
                notify: { changed in
                    for method in Eras.changeNotifications(changed) {
                        session.push(.notification(method: method, params: nil))
                    }
                },
                end: { [weak self] in self?.endSession(session.id) })
        ) { broker.currentSnapshot() }
        session.onEnd { [subscribers] in subscribers.remove(subscriber) }
        if session.hasEnded { return .tokenGone }
        logger.info(
            "session started",
            metadata: ["session": "\(session.id.prefix(8))", "workspace": "\(caller.access.workspace.slug)"])
        return .started(session)
    }

    /// The session `id` if it belongs to this caller's token and endpoint; nil otherwise (answered as unknown).
    /// A new token given a revoked token's name is another token: the hashes tell them apart.
    func session(_ id: String, caller: Caller) -> LegacySession? {
        guard let session = sessions.session(id), session.target == caller.target,
            session.isHeld(by: caller.token)
        else { return nil }
        return session
    }

    /// Passes a client's answer to the upstream request it answers (nil: not one the gateway asked, or answered).
    func answerUpstream(_ request: ClientRequests.UpstreamRequest?, with outcome: Outcome) {
        guard let request, let link = try? broker.link() else { return }
        link.send(.reply(channel: request.channel, id: request.id, outcome: outcome))
    }

    /// Ends a session and closes its upstream channels.
    func endSession(_ id: String) {
        guard let session = sessions.remove(id) else { return }
        finish(session)
    }

    /// Ends a session already taken out of the table: its streams, subscription, the upstreams' requests still
    /// waiting for its client, and its upstream channels.
    func finish(_ session: LegacySession) {
        for request in session.clientRequests.close() {
            answerUpstream(
                request,
                with: .error(JSONRPCError(code: JSONRPCError.internalError, message: "the client's session ended")))
        }
        session.end()
        pool.closeSession(session.brokerSession)
    }

    /// GET on `/mcp`: the session's stream for server-initiated messages (list changes).
    func openStream(_ request: HTTPRequest, caller: Caller) -> HTTPAnswer {
        if request.header("MCP-Protocol-Version") == Eras.modern {
            return .text(.methodNotAllowed, headers: ["Allow": "POST"])
        }
        guard request.accepts("text/event-stream", orAnything: false) else {
            return .text(.notAcceptable, "Accept must list text/event-stream\n")
        }
        guard let id = request.header("Mcp-Session-Id") else {
            return .error(.badRequest, id: nil, JSONRPCError.invalidRequest, "Bad Request: Missing session ID")
        }
        guard let session = session(id, caller: caller) else { return LegacyFront.unknownSession }
        let stream = EventStream()
        session.attach(stream)
        return .stream(["Mcp-Session-Id": session.id], stream)
    }

    /// DELETE on `/mcp`: the client ends its session.
    func deleteSession(_ request: HTTPRequest, caller: Caller) -> HTTPAnswer {
        if request.header("MCP-Protocol-Version") == Eras.modern {
            return .text(.methodNotAllowed, headers: ["Allow": "POST"])
        }
        guard let id = request.header("Mcp-Session-Id"), session(id, caller: caller) != nil else {
            return LegacyFront.unknownSession
        }
        endSession(id)
        return .text(.ok)
    }

    /// GET on `/sse` (HTTP+SSE, 2024-11-05): a new session whose stream carries every answer; the first event
    /// names the URL to POST messages to.
    func openSSE(_ request: HTTPRequest, caller: Caller) -> HTTPAnswer {
        let session: LegacySession
        switch startSession(caller: caller, era: .sse) {
        case .started(let started): session = started
        case .tooMany: return .text(.tooManyRequests, LegacyFront.tooManySessions(sessions.maximumPerToken) + "\n")
        case .tokenGone: return .unauthorized
        }
        let stream = EventStream()
        session.attach(stream)
        stream.send(event: "endpoint", data: caller.target.pathPrefix + "/messages?sessionId=" + session.id)
        stream.onTermination { [weak self] in self?.endSession(session.id) }
        return .stream([:], stream)
    }

    /// POST on `/messages?sessionId=…`: accepted at once; the answer goes on the session's `/sse` stream.
    /// `admission`: the body's place among its workspace's large bodies in flight, ended once it is answered.
    func postMessage(
        _ request: HTTPRequest, caller: Caller, note: RequestNote, admission: LargeBodies.Admission
    ) async -> HTTPAnswer {
        var answeredLater = false
        defer { if !answeredLater { admission.end() } }
        guard let id = request.query("sessionId") ?? request.query("session_id"),
            let session = session(id, caller: caller)
        else { return .text(.notFound, "Could not find session\n") }
        let message: JSONRPCMessage
        do {
            message = try await request.message()
        } catch {
            return .error(.badRequest, id: nil, error.code, error.message)
        }
        note.describe(message)
        session.touch()
        let legacy = LegacyFront(front: self)
        switch message {
        case .request(let requestID, "initialize", let params):
            session.clientRequests.declare(initializeParams: params)
            let result = Eras.initializeResult(params: params, workspace: caller.access.workspace.slug)
            session.push(.result(id: requestID, result: result))
        case .request(let requestID, let method, let params):
            answeredLater = true
            Task {
                defer { admission.end() }
                let answer = await legacy.answer(
                    id: requestID, method: method, params: params, session: session, caller: caller
                ) { session.push($0) }
                session.push(answer)
            }
        default:
            legacy.handleUnanswered(message, session: session)
        }
        return .text(.accepted, "Accepted")
    }
}
