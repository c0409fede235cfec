import Foundation
import Synchronization

/// What the server remembers between messages.
struct ServerState {
    /// The era this process serves; nil until the first request in `dual` mode.
    var era: Era?
    /// Handshake era only: whether `initialize` has been answered.
    var initialized = false
    /// In-flight `sleep` calls, woken early by cancellation.
    var sleeps: [RequestID: DispatchSemaphore] = [:]
    /// Handshake era only: the resource URIs the client subscribed to.
    var subscriptions: Set<String> = []
    /// How many `notifications/roots/list_changed` the client sent.
    var rootsChanges = 0
    /// Handshake era only: the capabilities the client declared in `initialize`.
    var clientCapabilities: JSON = [:]
    /// The answer to the `roots/list` sent on `notifications/initialized` to a client that declared roots, as
    /// text: the root URIs one per line, or `error: MESSAGE`; nil until it comes.
    var initialRoots: String?
}

/// Reads JSON-RPC messages, decides the era, applies that era's rules, and dispatches.
///
/// On stdio one `Server` serves the process. Over HTTP there is one per legacy session and one
/// per modern request. Everything runs on the caller's thread except `sleep`, which answers
/// from its own thread; the state both touch sits behind a mutex.
final class Server: Sendable {
    let mode: EraMode
    /// Where unsolicited messages go: stdout on stdio, a session's stream over HTTP.
    let output: any MessageSink
    let listens: ListenRegistry
    let state: Mutex<ServerState>

    init(mode: EraMode, output: any MessageSink, listens: ListenRegistry = ListenRegistry()) {
        self.mode = mode
        self.output = output
        self.listens = listens
        self.state = Mutex(ServerState(era: mode.fixedEra))
    }

    /// Handles one line of input. Never throws: every failure becomes an error response or,
    /// for notifications, silence.
    func handle(line: String) {
        guard !line.allSatisfy(\.isWhitespace) else { return }
        guard let message = JSON.parse(line) else {
            output.send(Message.error(id: nil, .parseError))
            return
        }
        handle(message, replyTo: output)
    }

    /// Handles one parsed message; its answer, and the notifications that belong to the request
    /// (progress, a listen's acknowledgement), go to `sink`. `headers` are those of the HTTP
    /// request that carried it, nil on stdio; the header tools exist only when they are set.
    func handle(_ message: JSON, replyTo sink: any MessageSink, headers: RequestHeaders? = nil) {
        guard let members = message.objectValue else {
            // Batches were removed from MCP in 2025-06-18; this fixture does not serve them.
            sink.send(Message.error(id: nil, .invalidRequest))
            return
        }
        guard let method = members["method"]?.stringValue else {
            if members["id"] == .string(Self.initialRootsID) {
                noteInitialRoots(members)
                return
            }
            // Another response from the client is dropped (no other request is sent); anything else is malformed.
            if members["result"] == nil && members["error"] == nil {
                sink.send(Message.error(id: members["id"].flatMap(RequestID.init), .invalidRequest))
            }
            return
        }
        let params = members["params"] ?? [:]

        guard let rawID = members["id"] else {
            handleNotification(method: method, params: params.objectValue ?? [:])
            return
        }
        guard let id = RequestID(rawID), members["jsonrpc"] == "2.0" else {
            sink.send(Message.error(id: RequestID(rawID), .invalidRequest))
            return
        }
        guard let paramObject = params.objectValue else {
            sink.send(Message.error(id: id, .invalidParams("params must be an object")))
            return
        }

        let era = decideEra(method: method, params: paramObject)
        let reply = Reply(id: id, era: era, output: sink, headers: headers)
        do {
            switch era {
            case .legacy: try handleLegacy(method: method, params: paramObject, reply: reply)
            case .modern: try handleModern(method: method, params: paramObject, reply: reply)
            }
        } catch {
            reply.error(error)
        }
    }

    /// Fixes the era on the first request in `dual` mode, like the SDK servers: a request that
    /// carries the 2026-07-28 envelope version (other than `initialize`) opens a modern
    /// connection, anything else a legacy one. Later requests cannot change it.
    private func decideEra(method: String, params: [String: JSON]) -> Era {
        state.withLock { state in
            if let era = state.era { return era }
            let era: Era = method != "initialize" && Self.envelopeVersion(params) != nil ? .modern : .legacy
            state.era = era
            return era
        }
    }

    /// The envelope's protocol version claim, present or not. A bare `_meta` (say, only a
    /// progressToken) is not an era signal.
    private static func envelopeVersion(_ params: [String: JSON]) -> JSON? {
        params["_meta"]?[MCP.protocolVersionKey]
    }

    // MARK: Handshake era

    private func handleLegacy(method: String, params: [String: JSON], reply: Reply) throws(RPCError) {
        switch method {
        case "server/discover":
            // What a server that predates 2026-07-28 answers, so a gateway's probe falls back.
            throw RPCError(code: -32601, message: "Method not found", data: .string(method))
        case "initialize":
            let requested = params["protocolVersion"]?.stringValue ?? ""
            let version = MCP.legacyVersions.contains(requested) ? requested : MCP.newestLegacyVersion
            state.withLock { state in
                state.initialized = true
                state.clientCapabilities = params["capabilities"] ?? [:]
            }
            reply.result([
                "protocolVersion": .string(version),
                "capabilities": MCP.legacyCapabilities,
                "serverInfo": MCP.serverInfo,
            ])
            return
        case "resources/subscribe", "resources/unsubscribe":
            guard let uri = params["uri"]?.stringValue else { throw .invalidParams("\(method) needs a string uri") }
            guard uri == Catalog.infoURI else {
                throw RPCError(code: -32602, message: "Resource not found", data: ["uri": .string(uri)])
            }
            let subscribe = method == "resources/subscribe"
            _ = state.withLock {
                subscribe ? $0.subscriptions.insert(uri).inserted : $0.subscriptions.remove(uri) != nil
            }
            reply.result([:])
            return
        default:
            break
        }
        if Self.envelopeVersion(params) != nil { throw .handshakeEraOnly }
        if method == "ping" {
            reply.result([:])
            return
        }
        guard state.withLock({ $0.initialized }) else { throw .notInitialized }
        try handleFeature(method: method, params: params, reply: reply)
    }

    // MARK: 2026-07-28 era

    private func handleModern(method: String, params: [String: JSON], reply: Reply) throws(RPCError) {
        switch method {
        case "initialize":
            // Named explicitly so a dual-era client learns the version to retry with.
            throw .unsupportedVersion(
                requested: params["protocolVersion"] ?? .null,
                message:
                    "connection is serving the \(MCP.modernVersion) protocol; the initialize handshake is not accepted"
            )
        case "ping":
            // Removed in 2026-07-28 with nothing in its place; answered like any unknown method
            // even without an envelope, so keep-alive probes fail the same way whatever they carry.
            throw RPCError(code: -32601, message: "Method not found", data: .string(method))
        default:
            break
        }

        // Every modern request is self-describing: version and capabilities ride in `_meta`.
        let meta = params["_meta"]?.objectValue ?? [:]
        try Self.requireEnvelopeKeys(meta)
        try Self.requireModernVersion(meta)

        switch method {
        case "server/discover":
            reply.result(
                [
                    "supportedVersions": [.string(MCP.modernVersion)],
                    "capabilities": MCP.capabilities,
                    "_meta": [MCP.serverInfoKey: MCP.serverInfo],
                ], cacheable: true)
        case "subscriptions/listen":
            try openListen(params: params, reply: reply)
        default:
            try handleFeature(method: method, params: params, reply: reply)
        }
    }

    /// The envelope's required keys are present: -32602 naming the missing ones otherwise.
    static func requireEnvelopeKeys(_ meta: [String: JSON]) throws(RPCError) {
        var missing: [String] = []
        if meta[MCP.protocolVersionKey]?.stringValue == nil { missing.append(MCP.protocolVersionKey) }
        if meta[MCP.clientCapabilitiesKey]?.objectValue == nil { missing.append(MCP.clientCapabilitiesKey) }
        guard missing.isEmpty else {
            throw .invalidParams(
                "params._meta is missing the required envelope key(s): \(missing.joined(separator: ", "))")
        }
    }

    /// The envelope claims the one modern version this server speaks: -32022 otherwise.
    static func requireModernVersion(_ meta: [String: JSON]) throws(RPCError) {
        if let version = meta[MCP.protocolVersionKey], version != .string(MCP.modernVersion) {
            throw .unsupportedVersion(requested: version)
        }
    }

    // MARK: Both eras

    /// The methods whose meaning is the same in both eras; only the result shape differs,
    /// and `Reply` takes care of that.
    private func handleFeature(method: String, params: [String: JSON], reply: Reply) throws(RPCError) {
        switch method {
        case "tools/list":
            reply.result(
                ["tools": LeakedCatalog.tools(Tools.definitions(overHTTP: reply.headers != nil))], cacheable: true)
        case "tools/call":
            try Tools.call(params, meta: params["_meta"]?.objectValue ?? [:], reply: reply, server: self)
        case "prompts/list":
            reply.result(["prompts": LeakedCatalog.prompts(Catalog.prompts)], cacheable: true)
        case "prompts/get":
            reply.result(try Catalog.getPrompt(params))
        case "resources/list":
            reply.result(["resources": LeakedCatalog.resources(Catalog.resources)], cacheable: true)
        case "resources/read":
            if let leaked = LeakedCatalog.read(params) { return reply.result(leaked, cacheable: true) }
            reply.result(try Catalog.readResource(params, era: reply.era), cacheable: true)
        case "resources/templates/list":
            reply.result(["resourceTemplates": []], cacheable: true)
        default:
            throw RPCError(code: -32601, message: "Method not found", data: .string(method))
        }
    }

    /// Client notifications: cancellation, and a change of roots (counted for `roots_changes`).
    /// `notifications/initialized` needs no action because requests are accepted as soon as
    /// `initialize` has been answered.
    private func handleNotification(method: String, params: [String: JSON]) {
        if method == "notifications/initialized", state.withLock({ $0.clientCapabilities["roots"] }) != nil {
            // As filesystem servers do: ask for the roots at once (before any request of the client's).
            output.send(
                JSON.object(["jsonrpc": "2.0", "id": .string(Self.initialRootsID), "method": "roots/list"]))
            return
        }
        if method == "notifications/roots/list_changed" {
            state.withLock { $0.rootsChanges += 1 }
            return
        }
        guard method == "notifications/cancelled", let raw = params["requestId"], let id = RequestID(raw) else {
            return
        }
        cancel(id)
    }

    /// The id of the `roots/list` request sent on `notifications/initialized`.
    static let initialRootsID = "test-upstream-initial-roots"

    private func noteInitialRoots(_ response: [String: JSON]) {
        let text: String
        if case .array(let roots)? = response["result"]?["roots"] {
            text = roots.compactMap { $0["uri"]?.stringValue }.joined(separator: "\n")
        } else {
            text = "error: " + (response["error"]?["message"]?.stringValue ?? "no result")
        }
        state.withLock { $0.initialRoots = text }
    }
}
