import BrokerProtocol
import MCPWire
import Synchronization

/// The requests a 2025-era session's client is sent for its upstreams (`elicitation/create`,
/// `sampling/createMessage`, `roots/list`), under ids of the gateway's (`sealgate-N`), and where each answer goes:
/// back to the legacy upstream that asked, or to the gateway task that waits for it while it relays a modern
/// upstream's `input_required` result.
final class ClientRequests: Sendable {
    /// A request a legacy upstream made of the client: where its answer goes.
    struct UpstreamRequest: Sendable {
        let channel: Int
        let id: RequestID
    }

    private enum Waiter {
        case upstream(UpstreamRequest)
        case gateway(CheckedContinuation<Outcome, Never>)
    }

    private struct State {
        var capabilities: JSONValue?
        var waiting: [RequestID: Waiter] = [:]
        var sent = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// The client capability each request needs.
    static let capabilityOfRequest = [
        "elicitation/create": "elicitation", "sampling/createMessage": "sampling", "roots/list": "roots",
    ]

    /// Far above any real client's options for one capability (a few flags).
    static let maximumCapabilityWeight = 256

    /// What the client declared at `initialize` that upstreams may ask of it: its `elicitation`, `sampling` and
    /// `roots` (nil: none).
    var capabilities: JSONValue? {
        state.withLock { $0.capabilities }
    }

    /// Notes the capabilities of the client's `initialize` params. One heavier than `maximumCapabilityWeight` is
    /// noted bare (`{}`, the capability without its options): every upstream opened for the session carries them,
    /// and a client's megabytes there would be parsed and serialized again at each open.
    func declare(initializeParams params: JSONValue?) {
        var declared: JSONObject = [:]
        for name in Set(Self.capabilityOfRequest.values).sorted() {
            if let capability = params?["capabilities"]?[name], capability.objectValue != nil {
                declared[name] = capability.outweighs(Self.maximumCapabilityWeight) ? .object([:]) : capability
            }
        }
        state.withLock { $0.capabilities = declared.isEmpty ? nil : .object(declared) }
    }

    /// Sends a legacy upstream's request to the client through `push` (the session's streams); its answer is
    /// returned by `answered`. False, and nothing sent, when the client did not declare what the request needs or
    /// has no stream open.
    func relay(
        _ method: String, params: JSONValue?, for request: UpstreamRequest, push: (JSONRPCMessage) -> Bool
    ) -> Bool {
        guard let id = reserve(method, as: .upstream(request)) else { return false }
        if push(.request(id: id, method: method, params: params)) { return true }
        state.withLock { _ = $0.waiting.removeValue(forKey: id) }
        return false
    }

    /// Asks the client through `push` and waits for its answer: an error outcome instead when the client did not
    /// declare what the request needs, has no stream open, does not answer within `patience`, or the session ends,
    /// or the waiting task is cancelled. A request given up on is cancelled at the client too.
    func ask(
        _ method: String, params: JSONValue?, patience: Duration, push: @escaping @Sendable (JSONRPCMessage) -> Bool
    ) async -> Outcome {
        guard let capability = Self.capabilityOfRequest[method], accepts(capability) else {
            return Self.failure("the client did not declare \(Self.capabilityOfRequest[method] ?? method)")
        }
        let id = nextID()
        let timeout = Task { [weak self] in
            try await Task.sleep(for: patience)
            self?.abandon(id, because: "the client did not answer \(method) in time", push: push)
        }
        defer { timeout.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let closed = state.withLock { state in
                    if !state.closed { state.waiting[id] = .gateway(continuation) }
                    return state.closed
                }
                if closed { return continuation.resume(returning: Self.failure("the client's session ended")) }
                if Task.isCancelled { return finish(id, Self.failure("the request was cancelled")) }
                if !push(.request(id: id, method: method, params: params)) {
                    finish(id, Self.failure("the client has no stream open to ask on"))
                }
            }
        } onCancel: {
            abandon(id, because: "the request was cancelled", push: push)
        }
    }

    /// The client answered request `id`: a gateway task waiting for it resumes; a legacy upstream's request is
    /// returned, for the caller to answer. Nil also for an id the client was not asked, or answered already.
    func answered(_ id: RequestID, with outcome: Outcome) -> UpstreamRequest? {
        switch state.withLock({ $0.waiting.removeValue(forKey: id) }) {
        case .upstream(let request): return request
        case .gateway(let continuation):
            continuation.resume(returning: outcome)
            return nil
        case nil: return nil
        }
    }

    /// An upstream withdrew requests it made of the client (`upstreamID` on `channel`, or with nil every request of
    /// that channel, which closed): they are forgotten, and the client is told through `push`.
    func withdraw(channel: Int, upstreamID: RequestID? = nil, push: (JSONRPCMessage) -> Bool) {
        let withdrawn = state.withLock { state -> [RequestID] in
            let ids = state.waiting.compactMap { id, waiter -> RequestID? in
                guard case .upstream(let request) = waiter, request.channel == channel,
                    upstreamID == nil || request.id == upstreamID
                else { return nil }
                return id
            }
            for id in ids { state.waiting[id] = nil }
            return ids
        }
        for id in withdrawn {
            _ = push(
                .notification(
                    method: "notifications/cancelled",
                    params: .object(["requestId": id.json, "reason": "the server withdrew the request"])))
        }
    }

    /// The session ends: waiting gateway tasks resume with an error; the upstreams' requests still unanswered are
    /// returned, for the caller to answer.
    func close() -> [UpstreamRequest] {
        let waiting = state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        var upstream: [UpstreamRequest] = []
        for waiter in waiting {
            switch waiter {
            case .upstream(let request): upstream.append(request)
            case .gateway(let continuation): continuation.resume(returning: Self.failure("the client's session ended"))
            }
        }
        return upstream
    }

    private func accepts(_ capability: String) -> Bool {
        state.withLock { $0.capabilities?[capability] != nil }
    }

    private func nextID() -> RequestID {
        state.withLock { Self.nextID(in: &$0) }
    }

    private static func nextID(in state: inout State) -> RequestID {
        state.sent += 1
        return .string("sealgate-\(state.sent)")
    }

    /// An id for a request the client declared it can answer, registered with `waiter`; nil otherwise.
    private func reserve(_ method: String, as waiter: Waiter) -> RequestID? {
        guard let capability = Self.capabilityOfRequest[method] else { return nil }
        return state.withLock { state in
            guard state.capabilities?[capability] != nil, !state.closed else { return nil }
            let id = Self.nextID(in: &state)
            state.waiting[id] = waiter
            return id
        }
    }

    /// Gives up on request `id` if it still waits: the client is told (`notifications/cancelled`), the task resumes.
    private func abandon(_ id: RequestID, because reason: String, push: @Sendable (JSONRPCMessage) -> Bool) {
        guard case .gateway(let continuation) = state.withLock({ $0.waiting.removeValue(forKey: id) }) else { return }
        _ = push(
            .notification(
                method: "notifications/cancelled", params: .object(["requestId": id.json, "reason": .string(reason)])))
        continuation.resume(returning: Self.failure(reason))
    }

    private func finish(_ id: RequestID, _ outcome: Outcome) {
        if case .gateway(let continuation) = state.withLock({ $0.waiting.removeValue(forKey: id) }) {
            continuation.resume(returning: outcome)
        }
    }

    private static func failure(_ message: String) -> Outcome {
        .error(JSONRPCError(code: JSONRPCError.internalError, message: message))
    }
}
