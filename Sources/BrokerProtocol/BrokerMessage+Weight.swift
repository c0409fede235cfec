import MCPWire

extension BrokerMessage {
    /// The lane its frame travels in (`FrameLane`): its channel's, else its ref's, else the control lane.
    public var lane: FrameLane {
        switch self {
        case .request(let channel, _, _, _), .notify(let channel, _, _), .reply(let channel, _, _), .close(let channel),
            .opened(_, let channel, _, _), .response(let channel, _, _), .notification(let channel, _, _),
            .upstreamRequest(let channel, _, _, _), .closed(let channel, _), .failure(_, let channel?, _, _):
            .channel(channel)
        case .open(let ref, _, _, _, _), .renew(let ref, _), .listLeases(let ref), .revokeLease(let ref, _),
            .authenticate(let ref, _), .stats(let ref), .renewed(let ref, _), .leases(let ref, _),
            .authenticated(let ref, _), .revoked(let ref, _), .statistics(let ref, _), .failure(let ref?, nil, _, _):
            .ref(ref)
        case .hello, .usage, .welcome, .snapshot, .failure(nil, nil, _, _):
            .control
        }
    }

    /// Whether the MCP payload it carries (params, a result, an error's data) is heavy enough to serialize off an
    /// event loop (`JSONValue.outweighs`). The broker's own messages are small, or, like snapshots, rare.
    public func outweighs(_ limit: Int) -> Bool {
        switch self {
        case .request(_, _, _, let params?), .notify(_, _, let params?), .notification(_, _, let params?),
            .upstreamRequest(_, _, _, let params?):
            params.outweighs(limit)
        case .reply(_, _, let outcome), .response(_, _, let outcome):
            outcome.outweighs(limit)
        case .open(_, _, _, _, let capabilities?):
            capabilities.outweighs(limit)
        case .opened(_, _, _, let upstream):
            // What an upstream said in its handshake, sent again at every open of a channel to it.
            JSONValue.object([
                "serverInfo": upstream.serverInfo ?? .null, "capabilities": upstream.capabilities ?? .null,
                "instructions": upstream.instructions.map { .string($0) } ?? .null,
            ]).outweighs(limit)
        case .failure(_, _, _, let message):
            JSONValue.string(message).outweighs(limit)
        default:
            false
        }
    }
}

extension Outcome {
    func outweighs(_ limit: Int) -> Bool {
        switch self {
        case .result(let result): result.outweighs(limit)
        case .error(let error): JSONValue.array([.string(error.message), error.data ?? .null]).outweighs(limit)
        }
    }
}
