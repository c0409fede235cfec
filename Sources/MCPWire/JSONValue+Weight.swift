extension JSONValue {
    /// Whether walking or serializing this value costs more than `limit` units: one per value, one per eight bytes of
    /// a string or key. Stops counting at the limit, so asking costs O(limit) at most whatever the value's size (the
    /// question is asked of every message that may be large, to decide where to do the work).
    public func outweighs(_ limit: Int) -> Bool {
        var budget = limit
        return !fits(within: &budget)
    }

    /// Subtracts this value's weight from `budget`; false as soon as it runs out.
    private func fits(within budget: inout Int) -> Bool {
        budget -= 1
        switch self {
        case .null, .bool: break
        case .number(let lexeme): budget -= lexeme.utf8.count / 8
        case .string(let string): budget -= string.utf8.count / 8
        case .array(let elements):
            for element in elements where budget >= 0 {
                guard element.fits(within: &budget) else { return false }
            }
        case .object(let object):
            for (key, value) in object.members where budget >= 0 {
                budget -= key.utf8.count / 8
                guard value.fits(within: &budget) else { return false }
            }
        }
        return budget >= 0
    }
}

extension JSONRPCMessage {
    /// Whether its params, result or error data outweigh `limit` (`JSONValue.outweighs`).
    public func outweighs(_ limit: Int) -> Bool {
        switch self {
        case .request(_, _, let params?), .notification(_, let params?): params.outweighs(limit)
        case .result(_, let result): result.outweighs(limit)
        case .error(_, let error): JSONValue.array([.string(error.message), error.data ?? .null]).outweighs(limit)
        default: false
        }
    }
}
