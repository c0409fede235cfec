/// Answers one request, shaping the result for the era the connection is served in.
///
/// It is a small value that can travel to a `sleep` thread, so a late answer is shaped exactly
/// like an immediate one.
struct Reply: Sendable {
    let id: RequestID
    let era: Era
    let output: any MessageSink
    /// The headers of the HTTP request that carried the call; nil on stdio.
    var headers: RequestHeaders? = nil

    /// Sends a successful result. In the 2026-07-28 era every result says `resultType`
    /// "complete", and the cacheable ones (lists, discover, reads) also carry the required
    /// freshness fields; the handshake era has neither.
    func result(_ body: [String: JSON], cacheable: Bool = false) {
        var body = body
        if era == .modern {
            body["resultType"] = "complete"
            if cacheable {
                // Always stale and never shared: a gateway must not serve one client's view to another.
                body["ttlMs"] = 0
                body["cacheScope"] = "private"
            }
        }
        output.send(Message.result(id: id, body))
    }

    /// A 2026-07-28 `input_required` result: the client answers `requests` and retries with `state`.
    func inputRequired(_ requests: [String: JSON], state: String) {
        output.send(
            Message.result(
                id: id,
                [
                    "resultType": "input_required", "inputRequests": .object(requests),
                    "requestState": .string(state),
                ]))
    }

    func error(_ error: RPCError) {
        output.send(Message.error(id: id, error))
    }

    /// A `tools/call` result with one text block; `isError` marks a tool failure, which is still
    /// a successful JSON-RPC response.
    func toolText(_ text: String, isError: Bool = false) {
        result(["content": [["type": "text", "text": .string(text)]], "isError": .bool(isError)])
    }
}
