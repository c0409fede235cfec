import Foundation
import NIOHTTP1

/// `POST /mcp` in the 2026-07-28 era: stateless, one exchange per request, no session ids.
extension Router {
    /// Validates in the Python SDK's order (envelope keys -32602, then the mirrored headers
    /// -32020, then the version -32022; all HTTP 400), then runs the request on a fresh
    /// modern `Server`. The answer is JSON, unless the request sends notifications before its
    /// result (progress, a listen's acknowledgement): then it is SSE, as the Python SDK does.
    func modernPost(_ request: HTTPRequest) async -> HTTPAnswer {
        let incoming: Incoming
        do {
            incoming = try Incoming.read(request)
        } catch {
            return error.answer
        }
        // Notifications need no answer; `notifications/cancelled` has no use over HTTP, where
        // a client cancels by closing the response.
        guard case .request(let id) = incoming.kind, let method = incoming.method else { return .text(.accepted) }
        guard let params = (incoming.message["params"] ?? [:]).objectValue else {
            return .json(.badRequest, Message.error(id: id, .invalidParams("params must be an object")))
        }
        let meta = params["_meta"]?.objectValue ?? [:]
        do {
            try Server.requireEnvelopeKeys(meta)
            try Self.checkMirroredHeaders(request, method: method, params: params, meta: meta)
            try Server.requireModernVersion(meta)
        } catch {
            return .json(.badRequest, Message.error(id: id, error))
        }

        let stream = EventStream(answering: id)
        let server = Server(mode: .modern, output: stream, listens: modernListens)
        server.handle(incoming.message, replyTo: stream, headers: request.carriedHeaders)
        guard let first = await stream.next() else { return .stream([:], stream) }
        if case .message(let response) = first, response["method"] == nil {
            stream.close()
            return .json(Self.status(of: response), response)
        }
        return .stream([:], stream, prelude: [first])
    }

    /// `MCP-Protocol-Version`, `Mcp-Method` and (for the three named methods) `Mcp-Name` must
    /// repeat what the body says, or intermediaries routing on them could be fooled.
    private static func checkMirroredHeaders(
        _ request: HTTPRequest, method: String, params: [String: JSON], meta: [String: JSON]
    ) throws(RPCError) {
        guard request.header("MCP-Protocol-Version") == meta[MCP.protocolVersionKey]?.stringValue else {
            throw .headerMismatch("MCP-Protocol-Version header does not match the request envelope's protocol version")
        }
        guard request.header("Mcp-Method") == method else {
            throw .headerMismatch("Mcp-Method header does not match the request body's method")
        }
        let nameKey: String
        switch method {
        case "tools/call", "prompts/get": nameKey = "name"
        case "resources/read": nameKey = "uri"
        default: return
        }
        guard let sent = request.header("Mcp-Name").flatMap(decodeHeaderValue), sent == params[nameKey]?.stringValue
        else {
            throw .headerMismatch("Mcp-Name header does not match the request body's params.\(nameKey)")
        }
    }

    /// Undoes the `=?base64?…?=` form clients use for values that are not plain visible ASCII;
    /// nil if the sentinel wraps something that is not base64 of UTF-8.
    private static func decodeHeaderValue(_ raw: String) -> String? {
        let prefix = "=?base64?"
        let suffix = "?="
        guard raw.hasPrefix(prefix), raw.hasSuffix(suffix), raw.count >= prefix.count + suffix.count else { return raw }
        let encoded = String(raw.dropFirst(prefix.count).dropLast(suffix.count))
        guard let data = Data(base64Encoded: encoded) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// The HTTP status for a modern response: 404 for an unknown method (its body tells it
    /// from a legacy server's 404), 400 for protocol-level errors, 200 otherwise, tool and
    /// handler errors included.
    private static func status(of response: JSON) -> HTTPResponseStatus {
        guard let code = response["error"]?["code"]?.intValue else { return .ok }
        switch code {
        case -32601: return .notFound
        case -32700, -32600, -32020, -32021, -32022: return .badRequest
        default: return .ok
        }
    }
}

extension RPCError {
    /// -32020 HeaderMismatch: a mirrored HTTP header is missing or disagrees with the body.
    static func headerMismatch(_ message: String) -> RPCError {
        RPCError(code: -32020, message: message)
    }
}
