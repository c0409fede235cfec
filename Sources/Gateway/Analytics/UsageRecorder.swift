import Analytics
import BrokerProtocol
import Synchronization

/// Counts tool calls per (workspace, server, tool, caller, minute) in memory, and hands them to the broker in one
/// message per flush, which the broker writes to the vault in one transaction: no request waits on SQLite.
/// Records names, counts and latencies only: never arguments, results or tokens.
final class UsageRecorder: Sendable {
    struct Key: Hashable {
        let workspace: String
        let server: String
        let tool: String
        let caller: String
        let minute: Int64

        init(_ record: UsageRecord) {
            (workspace, server, tool, caller, minute) = (
                record.workspace, record.server, record.tool, record.caller, record.minute
            )
        }
    }

    /// Past this many distinct keys between flushes (a broker away for long, or callers inventing names), new keys
    /// are counted as dropped instead of growing memory without bound.
    static let maximumKeys = 20_000

    private struct State {
        var records: [Key: UsageRecord] = [:]
        var dropped = 0
    }

    private let state = Mutex(State())

    /// One call, answered (`failed` for a JSON-RPC error or a tool error) after `duration`.
    func record(
        workspace: String, server: String, tool: String, caller: String, duration: Duration, failed: Bool,
        at milliseconds: Int64
    ) {
        let fresh = UsageRecord(
            workspace: workspace, server: server, tool: tool, caller: caller, minute: milliseconds / 60_000, calls: 0,
            errors: 0, latency: LatencyHistogram(), lastUsedAt: milliseconds)
        let key = Key(fresh)
        state.withLock { state in
            guard state.records[key] != nil || state.records.count < Self.maximumKeys else {
                state.dropped += 1
                return
            }
            state.records[key, default: fresh].count(duration, failed: failed, at: milliseconds)
        }
    }

    /// Takes everything counted so far, and how many calls were dropped for want of room.
    func drain() -> (records: [UsageRecord], dropped: Int) {
        state.withLock { state in
            defer { state = State() }
            return (Array(state.records.values), state.dropped)
        }
    }

    /// Puts back records that could not be sent, adding them to what was counted meanwhile.
    func restore(_ records: [UsageRecord]) {
        state.withLock { state in
            for record in records {
                let key = Key(record)
                if state.records[key] != nil {
                    state.records[key]!.merge(record)
                } else if state.records.count < Self.maximumKeys {
                    state.records[key] = record
                } else {
                    state.dropped += record.calls
                }
            }
        }
    }

    /// Sends what was counted to the broker; keeps it for the next flush when the broker is away.
    func flush(to broker: BrokerAccess) -> (sent: Int, dropped: Int) {
        let (records, dropped) = drain()
        guard !records.isEmpty else { return (0, dropped) }
        guard let link = try? broker.link(), link.isOpen else {
            restore(records)
            return (0, dropped)
        }
        // Bounded frames: a flush after a long broker outage goes out in several.
        for start in stride(from: 0, to: records.count, by: 1_000) {
            link.send(.usage(Array(records[start..<min(start + 1_000, records.count)])))
        }
        return (records.count, dropped)
    }
}
