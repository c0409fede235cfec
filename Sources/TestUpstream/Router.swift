import NIOHTTP1

/// Sends each HTTP request to its transport and keeps what outlives a request: sessions and
/// modern listens.
///
/// `/mcp` is Streamable HTTP in both eras, told apart per request by the
/// `MCP-Protocol-Version` header alone, as the Python SDK does: present and not a 2025-era
/// version means 2026-07-28. `/sse` and `/messages` are the 2024-11-05 HTTP+SSE transport.
final class Router: Sendable {
    let mode: EraMode
    /// Put before the HTTP+SSE endpoint path (tests use it to announce an endpoint on another origin).
    let sseEndpointPrefix: String
    /// Listens opened by modern requests, shared so a list change made by any request reaches them.
    let modernListens = ListenRegistry()
    /// Streamable HTTP sessions, opened by a 2025-era `initialize` on `/mcp`.
    let sessions = SessionStore<StandaloneStream>()
    /// HTTP+SSE sessions, opened by `GET /sse`; their stream carries every answer.
    let sseSessions = SessionStore<EventStream>()

    init(mode: EraMode, sseEndpointPrefix: String = "") {
        self.mode = mode
        self.sseEndpointPrefix = sseEndpointPrefix
    }

    func answer(_ request: HTTPRequest) async -> HTTPAnswer {
        switch request.path {
        case "/mcp":
            let modern = isModern(request)
            switch request.method {
            case .POST:
                return modern ? await modernPost(request) : legacyPost(request)
            case .GET:
                return modern || mode == .modern ? .methodNotAllowed(allow: "POST") : openSessionStream(request)
            case .DELETE:
                return modern || mode == .modern ? .methodNotAllowed(allow: "POST") : deleteSession(request)
            default:
                return .methodNotAllowed(allow: mode == .modern ? "POST" : "GET, POST, DELETE")
            }
        case "/sse":
            return request.method == .GET ? openSSE(request) : .methodNotAllowed(allow: "GET")
        case "/messages", "/messages/":
            return request.method == .POST ? postMessage(request) : .methodNotAllowed(allow: "POST")
        default:
            return .text(.notFound, "Not Found")
        }
    }

    /// Whether the request claims 2026-07-28. A legacy-only server treats every request as
    /// 2025-era, which is what makes a modern probe fail the way mcp 1.x makes it fail.
    private func isModern(_ request: HTTPRequest) -> Bool {
        guard mode != .legacy, let version = request.header("MCP-Protocol-Version") else { return false }
        return !MCP.legacyVersions.contains(version)
    }
}
