import NIOHTTP1

/// Streamable HTTP in the 2025 era: `initialize` opens a session, later requests name it in
/// `Mcp-Session-Id`, a GET stream carries its unsolicited notifications, DELETE ends it.
extension Router {
    /// Requests are answered with an SSE stream (progress first, the result last) so clients'
    /// SSE parsing is exercised; notifications and client responses get 202.
    func legacyPost(_ request: HTTPRequest) -> HTTPAnswer {
        guard mode != .modern else { return refuseLegacy(request) }
        let incoming: Incoming
        do {
            incoming = try Incoming.read(request)
        } catch {
            return error.answer
        }
        let session: Session<StandaloneStream>
        if incoming.method == "initialize", case .request = incoming.kind {
            session = sessions.create(outlet: StandaloneStream())
            logStderr("session \(session.id) opened\n")
        } else {
            // The order mcp 1.x checks in: the session, then the version header.
            guard let id = request.header("Mcp-Session-Id") else { return .missingSession }
            guard let known = sessions[id] else { return .unknownSession }
            if let version = request.header("MCP-Protocol-Version"), !MCP.legacyVersions.contains(version) {
                return .transportError(
                    .badRequest,
                    "Bad Request: Unsupported protocol version: \(version). Supported versions: "
                        + MCP.legacyVersions.joined(separator: ", "))
            }
            session = known
        }

        let sessionHeader: HTTPHeaders = ["Mcp-Session-Id": session.id]
        guard case .request(let id) = incoming.kind else {
            session.server.handle(incoming.message, replyTo: DiscardSink.shared)
            return .text(.accepted, headers: sessionHeader)
        }
        let stream = EventStream(answering: id)
        session.server.handle(incoming.message, replyTo: stream, headers: request.carriedHeaders)
        return .stream(sessionHeader, stream)
    }

    /// `GET /mcp`: the session's stream for unsolicited messages, one at a time (409 while
    /// another is open, as mcp 1.x answers).
    func openSessionStream(_ request: HTTPRequest) -> HTTPAnswer {
        guard let id = request.header("Mcp-Session-Id") else { return .missingSession }
        guard let session = sessions[id] else { return .unknownSession }
        guard let stream = session.outlet.open() else {
            return .transportError(.conflict, "Conflict: Only one SSE stream is allowed per session")
        }
        return .stream(["Mcp-Session-Id": id], stream)
    }

    /// `DELETE /mcp`: ends the session and its GET stream.
    func deleteSession(_ request: HTTPRequest) -> HTTPAnswer {
        guard let id = request.header("Mcp-Session-Id") else { return .missingSession }
        guard let session = sessions.remove(id) else { return .unknownSession }
        session.outlet.end()
        logStderr("session \(id) deleted\n")
        return .text(.ok)
    }

    /// A modern-only server's answer to 2025-era traffic: 400 with -32022 naming the one
    /// version it serves, so a dual-era client knows what to retry with.
    private func refuseLegacy(_ request: HTTPRequest) -> HTTPAnswer {
        let message = request.json
        let id = message?["id"].flatMap(RequestID.init)
        let requested =
            request.header("MCP-Protocol-Version").map(JSON.string) ?? message?["params"]?["protocolVersion"]
        let reason =
            message?["method"] == "initialize"
            ? "this server serves only the \(MCP.modernVersion) protocol; the initialize handshake is not accepted"
            : "this server serves only the \(MCP.modernVersion) protocol; requests must carry MCP-Protocol-Version"
        return .json(
            .badRequest, Message.error(id: id, .unsupportedVersion(requested: requested ?? .null, message: reason)))
    }
}
