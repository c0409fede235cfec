import Analytics
import MCPWire

extension UsageRecord {
    /// On the wire the histogram is `[[bucket, count], …]` (docs/broker-protocol.md, `usage`).
    var json: JSONObject {
        let buckets = latency.counts.keys.sorted().map { index -> JSONValue in
            .array([JSONValue(index), JSONValue(latency.counts[index]!)])
        }
        return [
            "workspace": .string(workspace), "server": .string(server), "tool": .string(tool),
            "caller": .string(caller), "minute": JSONValue(Int(minute)), "calls": JSONValue(calls),
            "errors": JSONValue(errors), "latency": .array(buckets), "last_used_at": JSONValue(Int(lastUsedAt)),
        ]
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        var counts: [Int: Int] = [:]
        for pair in try f.array("latency") {
            guard let values = pair.arrayValue, values.count == 2, let index = values[0].intValue,
                let count = values[1].intValue, index >= 0, index < LatencyHistogram.bucketCount, count >= 0
            else {
                throw BrokerProtocolError(.malformedFrame, "'latency' must hold [bucket, count] pairs")
            }
            counts[index, default: 0] += count
        }
        let calls = try f.int("calls")
        let errors = try f.int("errors")
        guard calls >= 0, errors >= 0, errors <= calls else {
            throw BrokerProtocolError(.malformedFrame, "'calls' and 'errors' must be counts, errors at most calls")
        }
        self.init(
            workspace: try f.string("workspace"), server: try f.string("server"), tool: try f.string("tool"),
            caller: try f.string("caller"), minute: try f.int64("minute"), calls: calls, errors: errors,
            latency: LatencyHistogram(counts: counts), lastUsedAt: try f.int64("last_used_at"))
    }
}
