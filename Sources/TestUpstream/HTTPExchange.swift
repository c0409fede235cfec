import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request, body aggregated.
struct HTTPRequest: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer

    var method: HTTPMethod { head.method }

    /// The path without the query.
    var path: String {
        String(head.uri.prefix { $0 != "?" })
    }

    /// Query parameters, percent-decoded; the first of a repeated name wins.
    var query: [String: String] {
        guard let mark = head.uri.firstIndex(of: "?") else { return [:] }
        var parameters: [String: String] = [:]
        for pair in head.uri[head.uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            if parameters[name] == nil { parameters[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return parameters
    }

    /// A header's value (case-insensitive name), repeated fields joined with ", ".
    func header(_ name: String) -> String? {
        let values = head.headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The body as JSON; nil if it is not JSON.
    var json: JSON? {
        JSON.parse(Data(body.readableBytesView))
    }

    /// The headers in the transport-free form the header tools read.
    var carriedHeaders: RequestHeaders {
        RequestHeaders(fields: head.headers.map { (name: $0.name, value: $0.value) })
    }
}

/// What to send back: a complete response, or a stream of server-sent events.
enum HTTPAnswer: Sendable {
    case full(HTTPResponseStatus, HTTPHeaders, ByteBuffer)
    /// `prelude` holds events already taken from `stream` (the modern path peeks at the first
    /// one to choose between JSON and SSE).
    case stream(HTTPHeaders, EventStream, prelude: [SSEEvent] = [])

    /// A JSON body, such as a JSON-RPC response or error.
    static func json(_ status: HTTPResponseStatus, _ body: JSON, headers: HTTPHeaders = [:]) -> HTTPAnswer {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return .full(status, headers, ByteBuffer(bytes: body.serialized()))
    }

    /// A plain-text body (or none, for an empty string).
    static func text(_ status: HTTPResponseStatus, _ body: String = "", headers: HTTPHeaders = [:]) -> HTTPAnswer {
        var headers = headers
        if !body.isEmpty { headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8") }
        return .full(status, headers, ByteBuffer(string: body))
    }

    /// 405 naming the methods the path does take.
    static func methodNotAllowed(allow: String) -> HTTPAnswer {
        .text(.methodNotAllowed, headers: ["Allow": allow])
    }

    /// A transport-level JSON-RPC error in the shape the mcp 1.x Python server sends, with the
    /// id `"server-error"` because it answers no particular request.
    static func transportError(_ status: HTTPResponseStatus, code: Int64 = -32600, _ message: String) -> HTTPAnswer {
        .json(
            status,
            ["jsonrpc": "2.0", "id": "server-error", "error": ["code": .int(code), "message": .string(message)]])
    }

    static let missingSession = transportError(.badRequest, "Bad Request: Missing session ID")
    static let unknownSession = transportError(.notFound, "Session not found")
}
