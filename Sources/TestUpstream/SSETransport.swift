/// The 2024-11-05 HTTP+SSE transport: `GET /sse` opens a session whose stream carries every
/// message the server sends; the client POSTs to the endpoint the first event names.
extension Router {
    /// `GET /sse`. A modern-only server has no such endpoint: 404.
    func openSSE(_ request: HTTPRequest) -> HTTPAnswer {
        guard mode != .modern else { return .text(.notFound, "Not Found") }
        let stream = EventStream()
        let session = sseSessions.create(outlet: stream)
        let id = session.id
        stream.push(.endpoint("\(sseEndpointPrefix)/messages?session_id=\(id)"))
        // The session lives as long as its stream: a client that disconnects is gone.
        stream.onClose { [sseSessions] in
            _ = sseSessions.remove(id)
            logStderr("sse session \(id) closed\n")
        }
        logStderr("sse session \(id) opened\n")
        return .stream([:], stream)
    }

    /// `POST /messages?session_id=…`: 202 "Accepted" at once; the answer goes on the stream.
    func postMessage(_ request: HTTPRequest) -> HTTPAnswer {
        guard mode != .modern else { return .text(.notFound, "Not Found") }
        guard let id = request.query["session_id"] else { return .text(.badRequest, "session_id is required") }
        guard let session = sseSessions[id] else { return .text(.notFound, "Could not find session") }
        guard let message = request.json else { return .text(.badRequest, "Could not parse message") }
        session.server.handle(message, replyTo: session.outlet, headers: request.carriedHeaders)
        return .text(.accepted, "Accepted")
    }
}
