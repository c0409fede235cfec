import BrokerProtocol
import MCPWire

/// Sends MCP requests to upstreams through the broker: finds or opens the channel, forwards a cancellation when
/// the waiting task is cancelled (the client went away), and routes progress back to the caller.
struct UpstreamCaller: Sendable {
    let broker: BrokerAccess
    let pool: ChannelPool
    let progress: ProgressRelay

    /// The outcome of `method` on the upstream of `key`. Gateway failures (no broker, the upstream would not
    /// start) are thrown; the upstream's own errors are an `Outcome`.
    func send(
        _ method: String, params: JSONValue?, to key: ChannelKey,
        onProgress: (@Sendable (JSONValue) -> Void)? = nil
    ) async throws(GatewayError) -> Outcome {
        let channel = try await pool.channel(key)
        let link = try broker.link()
        var params = params
        var token: String?
        if let onProgress { (params, token) = progress.register(params, channel: channel.number, deliver: onProgress) }
        defer { progress.release(token) }
        let id = link.nextNumber()
        do {
            return try await withTaskCancellationHandler {
                try await link.request(channel: channel.number, id: id, method: method, params: params)
            } onCancel: {
                link.send(
                    .notify(
                        channel: channel.number, method: "notifications/cancelled",
                        params: .object(["requestId": RequestID(id).json, "reason": "the client went away"])))
            }
        } catch {
            throw error as? GatewayError ?? .brokerUnavailable
        }
    }
}

extension GatewayError {
    /// The JSON-RPC error a client gets when its request could not reach the upstream.
    func rpcError(server: String?) -> JSONRPCError {
        switch self {
        case .brokerUnavailable:
            return JSONRPCError(code: JSONRPCError.internalError, message: description)
        case .broker(let code, let message):
            let prefix = server.map { "server \($0) is unavailable" } ?? "the broker refused"
            var data: JSONObject = ["reason": .string(code)]
            if let server { data["server"] = .string(server) }
            return JSONRPCError(
                code: JSONRPCError.internalError, message: "\(prefix): \(message)", data: .object(data))
        }
    }
}
