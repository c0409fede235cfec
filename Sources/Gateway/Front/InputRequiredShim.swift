import BrokerProtocol
import MCPWire

/// Serves a modern upstream's `input_required` results to a 2025-era client, which knows nothing of them: each of
/// the result's input requests goes to the client as a real request on its session's stream (if the client
/// declared what it needs), and the call is sent again with the answers (`inputResponses`) and the upstream's exact
/// `requestState`, for at most `maximumRounds` rounds. The upstream learns what the client declared from the
/// request itself (`_meta` `io.modelcontextprotocol/clientCapabilities`, which the broker puts in the envelope of a
/// modern upstream's request and strips for a legacy one), so it asks only for what the client can answer.
struct InputRequiredShim {
    static let maximumRounds = 8
    /// How long the client may take to answer one input request (a person may be answering).
    static let patience: Duration = .seconds(600)
    /// The requests that may return `input_required`.
    static let methods: Set<String> = ["tools/call", "prompts/get", "resources/read"]

    let session: LegacySession

    /// The outcome of `method` as `send` gets it, with every `input_required` round answered by the client.
    func outcome(_ method: String, params: JSONValue?, send: (JSONValue?) async -> Outcome) async -> Outcome {
        let declared = Self.methods.contains(method) ? session.clientRequests.capabilities : nil
        var params = Self.declaring(declared, in: params)
        guard Self.methods.contains(method) else { return await send(params) }
        for _ in 0..<Self.maximumRounds {
            let outcome = await send(params)
            guard case .result(let result) = outcome, result["resultType"] == "input_required" else { return outcome }
            var responses = JSONObject()
            for (key, request) in result["inputRequests"]?.objectValue?.members ?? [] {
                guard let asked = request["method"]?.stringValue else {
                    return Self.failure(method, "the upstream sent an input request without a method")
                }
                let answer = await session.clientRequests.ask(
                    asked, params: request["params"], patience: Self.patience, push: session.push)
                switch answer {
                case .result(let value): responses[key] = value
                case .error(let error): return Self.failure(method, "the upstream needs input: \(error.message)")
                }
            }
            var retry = params?.objectValue ?? JSONObject()
            retry["inputResponses"] = responses.isEmpty ? nil : .object(responses)
            retry["requestState"] = result["requestState"]
            params = .object(retry)
        }
        return Self.failure(method, "the upstream still needed input after \(Self.maximumRounds) rounds")
    }

    /// `params` telling the upstream that the client declared `capabilities` (nil: nothing). A claim a 2025-era
    /// client put there itself is replaced: what it declared at `initialize` is what the gateway can answer.
    private static func declaring(_ capabilities: JSONValue?, in params: JSONValue?) -> JSONValue? {
        guard var object = params?.objectValue else {
            guard let capabilities, params == nil else { return params }
            return .object(["_meta": .object([Eras.clientCapabilitiesKey: capabilities])])
        }
        var meta = object["_meta"]?.objectValue ?? JSONObject()
        guard capabilities != nil || meta[Eras.clientCapabilitiesKey] != nil else { return params }
        meta[Eras.clientCapabilitiesKey] = capabilities
        object["_meta"] = meta.isEmpty ? nil : .object(meta)
        return .object(object)
    }

    /// A round that could not be completed: a tool's failure for `tools/call` (the model sees why), a JSON-RPC error
    /// otherwise.
    private static func failure(_ method: String, _ message: String) -> Outcome {
        guard method == "tools/call" else {
            return .error(JSONRPCError(code: JSONRPCError.internalError, message: message))
        }
        return .result(
            .object(["content": .array([.object(["type": "text", "text": .string(message)])]), "isError": true]))
    }
}
