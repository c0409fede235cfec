import NIOHTTP1

/// An answer that refuses a request before any `Server` sees it.
struct HTTPRefusal: Error {
    let answer: HTTPAnswer

    /// A JSON-RPC error with HTTP 400.
    static func badRequest(id: RequestID?, _ error: RPCError) -> HTTPRefusal {
        HTTPRefusal(answer: .json(.badRequest, Message.error(id: id, error)))
    }
}

/// A POSTed JSON-RPC message, checked just enough to know how HTTP should answer it.
struct Incoming {
    enum Kind {
        /// Answered with a response, as JSON or SSE.
        case request(RequestID)
        /// A notification, or a response to a server request: answered 202 with no body.
        case noAnswer
    }

    let message: JSON
    let method: String?
    let kind: Kind

    /// Reads the body: unparsable → 400 -32700; not a JSON-RPC message, or a request with a
    /// malformed id → 400 -32600. Batches are not served (removed from MCP in 2025-06-18).
    static func read(_ request: HTTPRequest) throws(HTTPRefusal) -> Incoming {
        guard let message = request.json else { throw .badRequest(id: nil, .parseError) }
        guard let members = message.objectValue else { throw .badRequest(id: nil, .invalidRequest) }
        let method = members["method"]?.stringValue
        guard method != nil || members["result"] != nil || members["error"] != nil else {
            throw .badRequest(id: members["id"].flatMap(RequestID.init), .invalidRequest)
        }
        guard let method, let rawID = members["id"] else {
            return Incoming(message: message, method: method, kind: .noAnswer)
        }
        guard let id = RequestID(rawID), members["jsonrpc"] == "2.0" else {
            throw .badRequest(id: RequestID(rawID), .invalidRequest)
        }
        return Incoming(message: message, method: method, kind: .request(id))
    }
}
