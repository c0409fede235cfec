import BrokerProtocol
import MCPWire

/// Serves MCP requests in the era-neutral model, whatever the client's era: merged lists, and calls, gets and
/// reads routed to the server that owns the name, within the token's FeatureSets.
struct Dispatcher: Sendable {
    let catalog: Catalog
    let usage: UsageRecorder
    let metrics: GatewayMetrics

    /// The outcome of one request from a client with `access`, whose upstreams are those of broker `session`.
    func handle(
        _ method: String, params: JSONValue?, access: Access, session: String,
        onProgress: (@Sendable (JSONValue) -> Void)? = nil
    ) async -> Outcome {
        switch method {
        case "tools/list": return await list(.tools, access: access, session: session)
        case "prompts/list": return await list(.prompts, access: access, session: session)
        case "resources/list": return await list(.resources, access: access, session: session)
        case "resources/templates/list": return await list(.resourceTemplates, access: access, session: session)
        case "tools/call":
            return await forwardNamed(method, kind: .tools, params: params, access, session, onProgress)
        case "prompts/get":
            return await forwardNamed(method, kind: .prompts, params: params, access, session, onProgress)
        case "resources/read", "resources/subscribe", "resources/unsubscribe":
            return await forwardResource(method, params: params, access, session, onProgress)
        case "completion/complete":
            return await complete(params: params, access, session)
        default:
            return .error(JSONRPCError(code: JSONRPCError.methodNotFound, message: "Method not found: \(method)"))
        }
    }

    private func list(_ kind: ListKind, access: Access, session: String) async -> Outcome {
        let merged = await catalog.list(kind, access: access, session: session)
        var result: JSONObject = [kind.field: .array(merged.items)]
        if !merged.unavailable.isEmpty {
            // Servers that could not be listed are named, so a client (or its user) can see why tools are missing.
            let report = merged.unavailable.map { entry -> JSONValue in
                .object(["server": .string(entry.server), "error": .string(entry.error.message)])
            }
            result["_meta"] = .object([Self.unavailableKey: .array(report)])
        }
        return .result(.object(result))
    }

    /// `_meta` key of list results naming the servers left out because they failed.
    static let unavailableKey = "io.sealgate/unavailableServers"

    private func forwardNamed(
        _ method: String, kind: ListKind, params: JSONValue?, _ access: Access, _ session: String,
        _ onProgress: (@Sendable (JSONValue) -> Void)?
    ) async -> Outcome {
        let noun = kind == .tools ? "tool" : "prompt"
        guard var object = params?.objectValue, let name = object["name"]?.stringValue else {
            return Self.invalid("params.name must be a string")
        }
        guard access.policy.allows(name) else {
            return Self.refused("\(noun) \(name)", access)
        }
        guard let (server, original) = await catalog.resolve(name, kind: kind, access: access, session: session) else {
            return Self.invalid("Unknown \(noun): \(name)")
        }
        object["name"] = .string(original)
        guard kind == .tools else {
            return await send(method, .object(object), server: server, access, session, onProgress)
        }
        let started = ContinuousClock.now
        let outcome = await send(method, .object(object), server: server, access, session, onProgress)
        let duration = ContinuousClock.now - started
        usage.record(
            workspace: access.workspace.slug, server: server, tool: original, caller: access.caller,
            duration: duration, failed: outcome.isFailure, at: WallClock.milliseconds())
        metrics.toolCall(
            workspace: access.workspace.slug, server: server, tool: original, duration: duration,
            failed: outcome.isFailure)
        return outcome
    }

    private func forwardResource(
        _ method: String, params: JSONValue?, _ access: Access, _ session: String,
        _ onProgress: (@Sendable (JSONValue) -> Void)?
    ) async -> Outcome {
        guard var object = params?.objectValue, let uri = object["uri"]?.stringValue else {
            return Self.invalid("params.uri must be a string")
        }
        // Not found and not allowed are one answer: a token learns nothing of what its FeatureSets leave out.
        guard let (server, original) = await catalog.resolveResource(uri, access: access, session: session) else {
            return Self.invalid("Resource not found: \(uri)")
        }
        object["uri"] = .string(original)
        return await send(method, .object(object), server: server, access, session, onProgress)
    }

    /// `completion/complete` goes to the server of the prompt or resource it completes.
    private func complete(params: JSONValue?, _ access: Access, _ session: String) async -> Outcome {
        guard var object = params?.objectValue, var ref = object["ref"]?.objectValue else {
            return Self.invalid("params.ref must be an object")
        }
        let server: String
        if let name = ref["name"]?.stringValue, ref["type"] == "ref/prompt" {
            guard access.policy.allows(name),
                let (owner, original) = await catalog.resolve(name, kind: .prompts, access: access, session: session)
            else { return Self.invalid("Unknown prompt: \(name)") }
            (server, ref["name"]) = (owner, .string(original))
        } else if let uri = ref["uri"]?.stringValue, ref["type"] == "ref/resource" {
            guard let (owner, original) = await catalog.resolveResource(uri, access: access, session: session)
            else {
                return Self.invalid("Resource not found: \(uri)")
            }
            (server, ref["uri"]) = (owner, .string(original))
        } else {
            return Self.invalid("params.ref is not a prompt or resource reference")
        }
        object["ref"] = .object(ref)
        return await send("completion/complete", .object(object), server: server, access, session, nil)
    }

    /// -32602 with `message`: the params name nothing this token can reach.
    private static func invalid(_ message: String) -> Outcome {
        .error(JSONRPCError(code: JSONRPCError.invalidParams, message: message))
    }

    /// -32602 naming the refusal: `what` exists, but the token's FeatureSets keep it out.
    private static func refused(_ what: String, _ access: Access) -> Outcome {
        invalid("\(what) is not allowed: the token's FeatureSets in \(access.workspace.slug) refuse it")
    }

    private func send(
        _ method: String, _ params: JSONValue, server: String, _ access: Access, _ session: String,
        _ onProgress: (@Sendable (JSONValue) -> Void)?
    ) async -> Outcome {
        let key = ChannelKey(workspace: access.workspace.slug, server: server, session: session)
        do {
            return try await catalog.caller.send(method, params: params, to: key, onProgress: onProgress)
        } catch {
            return .error(error.rpcError(server: server))
        }
    }
}

extension Outcome {
    /// A JSON-RPC error, or a result that says `isError` (a tool's own failure).
    var isFailure: Bool {
        switch self {
        case .error: true
        case .result(let result): result["isError"]?.boolValue == true
        }
    }
}
