import ChannelSupport
import MCPWire

extension HTTPRequest {
    /// The JSON-RPC message in the body. A large body is parsed on the thread pool (`HeavyWork`): the gateway's
    /// event loops are also its concurrency executor, and one client's 4 MiB of keys parsed there would hold up every
    /// other client's requests for as long as it takes.
    func message() async throws(JSONRPCError) -> JSONRPCMessage {
        guard body.readableBytes >= HeavyWork.bytes else { return try JSONRPCMessage.parse(body.readableBytesView) }
        let body = self.body
        let parsed: Result<JSONRPCMessage, JSONRPCError>
        do {
            parsed = try await HeavyWork.run {
                Result { () throws(JSONRPCError) in try JSONRPCMessage.parse(body.readableBytesView) }
            }
        } catch {
            // Cancelled (the client went away) or the pool stopped with the gateway: never parsed on the loop instead.
            throw JSONRPCError(code: JSONRPCError.internalError, message: "the request was cancelled")
        }
        return try parsed.get()
    }
}
