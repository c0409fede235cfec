import ChannelSupport
import MCPWire
import NIOCore
import NIOHTTP1

/// What an endpoint sends back: a complete response, or a stream of server-sent events.
public enum HTTPAnswer: Sendable {
    case full(HTTPResponseStatus, HTTPHeaders, [UInt8])
    case stream(HTTPHeaders, EventStream)

    /// The status sent (a stream opens with 200).
    var statusCode: Int {
        switch self {
        case .full(let status, _, _): Int(status.code)
        case .stream: 200
        }
    }

    /// A JSON body.
    static func json(_ status: HTTPResponseStatus, _ body: JSONValue, headers: HTTPHeaders = [:]) -> HTTPAnswer {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        return .full(status, headers, body.serialized)
    }

    /// A JSON-RPC message as a JSON body.
    static func message(_ status: HTTPResponseStatus, _ message: JSONRPCMessage, headers: HTTPHeaders = [:])
        -> HTTPAnswer
    {
        json(status, message.json, headers: headers)
    }

    /// A JSON-RPC message carrying what an upstream answered, as a JSON body. A heavy one (an upstream's 4 MiB
    /// result) is serialized on the thread pool (`HeavyWork`): the event loops it would take are the gateway's
    /// concurrency executor, shared by every client.
    static func forwarded(_ status: HTTPResponseStatus, _ message: JSONRPCMessage) async -> HTTPAnswer {
        guard message.outweighs(HeavyWork.weight) else { return self.message(status, message) }
        let json = message.json
        // Cancelled (the client went away) or the pool stopped with the gateway: never serialized on the loop instead.
        guard let body = try? await HeavyWork.run({ json.serialized }) else {
            return .text(.serviceUnavailable, "the request was cancelled\n")
        }
        return .full(status, ["Content-Type": "application/json"], body)
    }

    /// A JSON-RPC error answering `id` (null when the request could not be read).
    static func error(
        _ status: HTTPResponseStatus, id: RequestID?, _ code: Int, _ message: String, data: JSONValue? = nil
    ) -> HTTPAnswer {
        self.message(status, .error(id: id, JSONRPCError(code: code, message: message, data: data)))
    }

    /// A plain-text body (or none).
    static func text(_ status: HTTPResponseStatus, _ body: String = "", headers: HTTPHeaders = [:]) -> HTTPAnswer {
        var headers = headers
        if !body.isEmpty { headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8") }
        return .full(status, headers, Array(body.utf8))
    }

    /// The one answer to every request that is not authorized, whatever the reason.
    static let unauthorized = HTTPAnswer.json(
        .unauthorized,
        .object(["error": "invalid_token", "error_description": "a valid bearer token for this workspace is required"]),
        headers: ["WWW-Authenticate": #"Bearer realm="sealgate", error="invalid_token""#])

    /// 202 with no body: a notification or a response was accepted.
    static let accepted = HTTPAnswer.full(.accepted, [:], [])
}
