import BrokerProtocol
import MCPWire
import NIOHTTP1

/// 2026-07-28 clients on `/mcp`: no session; every request carries its envelope and mirrored headers, which are
/// checked before anything is done (§2.4 of the research notes, in the order the Python SDK checks them).
struct ModernFront {
    let front: Front

    /// Whether a message belongs to the 2026-07-28 era: its params carry the envelope's version, or the
    /// `MCP-Protocol-Version` header names that era. `initialize` never does.
    static func claimsModern(_ message: JSONRPCMessage, _ request: HTTPRequest) -> Bool {
        if message.method == "initialize" { return false }
        if request.header("MCP-Protocol-Version") == Eras.modern { return true }
        switch message {
        case .request(_, _, let params), .notification(_, let params):
            return params?["_meta"]?[Eras.protocolVersionKey] != nil
        default:
            return false
        }
    }

    func handle(_ message: JSONRPCMessage, _ request: HTTPRequest, caller: Front.Caller) async -> HTTPAnswer {
        guard case .request(let id, let method, let params) = message else {
            return .accepted  // notifications (a cancellation has no meaning over HTTP in this era) and responses
        }
        if let refusal = validate(id: id, method: method, params: params, request) { return refusal }
        guard request.accepts("application/json"), request.accepts("text/event-stream") else {
            return .error(
                .notAcceptable, id: id, JSONRPCError.invalidRequest,
                "Accept must list application/json and text/event-stream")
        }
        switch method {
        case "server/discover":
            return .message(.ok, .result(id: id, result: Eras.discoverResult()))
        case "subscriptions/listen":
            return listen(id: id, params: params, caller: caller)
        case _ where Eras.removedInModern.contains(method):
            return .error(.notFound, id: id, JSONRPCError.methodNotFound, "Method not found", data: .string(method))
        default:
            return await forward(id: id, method: method, params: params, caller: caller)
        }
    }

    /// The envelope's required keys, the mirrored headers, then the version.
    private func validate(id: RequestID, method: String, params: JSONValue?, _ request: HTTPRequest) -> HTTPAnswer? {
        let meta = params?["_meta"]?.objectValue
        guard let version = meta?[Eras.protocolVersionKey]?.stringValue,
            meta?[Eras.clientCapabilitiesKey]?.objectValue != nil
        else {
            return .error(
                .badRequest, id: id, JSONRPCError.invalidParams,
                "params._meta must carry \(Eras.protocolVersionKey) and \(Eras.clientCapabilitiesKey)")
        }
        func mismatch(_ what: String) -> HTTPAnswer {
            .error(.badRequest, id: id, JSONRPCError.headerMismatch, "\(what) header does not match the request body")
        }
        guard request.header("MCP-Protocol-Version") == version else { return mismatch("MCP-Protocol-Version") }
        guard request.header("Mcp-Method") == method else { return mismatch("Mcp-Method") }
        if ["tools/call", "prompts/get", "resources/read"].contains(method) {
            let named = params?["name"]?.stringValue ?? params?["uri"]?.stringValue
            guard let header = request.header("Mcp-Name"), HeaderValue.decode(header) == named else {
                return mismatch("Mcp-Name")
            }
        }
        guard version == Eras.modern else {
            return .error(
                .badRequest, id: id, JSONRPCError.unsupportedProtocolVersion, "Unsupported protocol version",
                data: .object(["supported": .array([.string(Eras.modern)]), "requested": .string(version)]))
        }
        return nil
    }

    /// A list, call, get or read: JSON when the answer is all there is, an event stream when the client asked for
    /// progress (the notifications precede the result on it).
    private func forward(id: RequestID, method: String, params: JSONValue?, caller: Front.Caller) async -> HTTPAnswer {
        let dispatcher = front.dispatcher
        guard params?["_meta"]?["progressToken"] != nil else {
            let outcome = await dispatcher.handle(
                method, params: params, access: caller.access, session: ChannelKey.pool)
            return await .forwarded(.ok, Self.message(id: id, method: method, outcome))
        }
        let stream = EventStream()
        let task = Task {
            let outcome = await dispatcher.handle(
                method, params: params, access: caller.access, session: ChannelKey.pool
            ) { progress in
                stream.send(.notification(method: "notifications/progress", params: progress))
            }
            stream.send(Self.message(id: id, method: method, outcome))
            stream.finish()
        }
        stream.onTermination { task.cancel() }  // the client closed the stream: cancel upstream
        return .stream([:], stream)
    }

    static func message(id: RequestID, method: String, _ outcome: Outcome) -> JSONRPCMessage {
        switch outcome {
        case .result(let result): .result(id: id, result: Eras.modernResult(result, method: method))
        case .error(let error): .error(id: id, Eras.modernError(error, method: method))
        }
    }

    /// `subscriptions/listen`: an acknowledgement naming the honoured filter, then change notifications tagged
    /// with the listen request's id, until the client closes the stream or its token stops working.
    private func listen(id: RequestID, params: JSONValue?, caller: Front.Caller) -> HTTPAnswer {
        let filter = params?["notifications"]?.objectValue ?? [:]
        var honoured: JSONObject = [:]
        var kinds: Set<ListKind> = []
        for (flag, flagKinds) in [
            ("toolsListChanged", [ListKind.tools]), ("promptsListChanged", [.prompts]),
            ("resourcesListChanged", [.resources, .resourceTemplates]),
        ] where filter[flag] == .bool(true) {
            honoured[flag] = true
            kinds.formUnion(flagKinds)
        }
        let tag: JSONValue = .object([Eras.subscriptionIDKey: id.json])
        let stream = EventStream()
        stream.send(
            .notification(
                method: "notifications/subscriptions/acknowledged",
                params: .object(["_meta": tag, "notifications": .object(honoured)])))
        let subscribers = front.subscribers
        let subscriber = subscribers.add(
            Subscribers.Subscriber(
                era: .modern, target: caller.target, token: caller.token,
                fingerprint: caller.access.fingerprint,
                kinds: kinds,
                notify: { changed in
                    for method in Eras.changeNotifications(changed) {
                        stream.send(.notification(method: method, params: .object(["_meta": tag])))
                    }
                },
                end: {
                    stream.send(.result(id: id, result: .object(["resultType": "complete", "_meta": tag])))
                    stream.finish()
                })
        ) { front.broker.currentSnapshot() }  // a revocation since `caller` was authorized ends the stream at once
        stream.onTermination { subscribers.remove(subscriber) }
        return .stream([:], stream)
    }
}

/// `Mcp-Name` and similar header values: plain visible ASCII, or `=?base64?…?=` for anything else.
enum HeaderValue {
    static func decode(_ value: String) -> String? {
        guard value.hasPrefix("=?base64?"), value.hasSuffix("?="), value.count >= 11 else { return value }
        let encoded = value.dropFirst(9).dropLast(2)
        guard let bytes = Base64.decode(encoded) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Standard base64 decoding (RFC 4648 §4, padding optional).
enum Base64 {
    static func decode(_ text: Substring) -> [UInt8]? {
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }
}
