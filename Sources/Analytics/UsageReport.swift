/// Usage summed two ways, as `sealgate analytics` shows it: per tool (all callers) and per caller (all tools),
/// each within its workspace, busiest first.
public struct UsageReport: Sendable {
    public struct Line: Sendable, Equatable {
        public let workspace: String
        /// `server` and `tool` for a tool line; `caller` for a caller line.
        public let server: String?
        public let tool: String?
        public let caller: String?
        public var calls = 0
        public var errors = 0
        public var latency = LatencyHistogram()
        public var lastUsedAt: Int64 = 0

        mutating func add(_ record: UsageRecord) {
            calls += record.calls
            errors += record.errors
            latency.merge(record.latency)
            lastUsedAt = max(lastUsedAt, record.lastUsedAt)
        }
    }

    public let byTool: [Line]
    public let byCaller: [Line]

    public init(_ records: [UsageRecord]) {
        var tools: [[String]: Line] = [:]
        var callers: [[String]: Line] = [:]
        for record in records {
            let toolKey = [record.workspace, record.server, record.tool]
            tools[
                toolKey,
                default: Line(workspace: record.workspace, server: record.server, tool: record.tool, caller: nil)
            ]
            .add(record)
            let callerKey = [record.workspace, record.caller]
            callers[
                callerKey, default: Line(workspace: record.workspace, server: nil, tool: nil, caller: record.caller)
            ]
            .add(record)
        }
        func busiestFirst(_ a: Line, _ b: Line) -> Bool {
            if a.workspace != b.workspace { return a.workspace < b.workspace }
            if a.calls != b.calls { return a.calls > b.calls }
            return (a.server ?? "", a.tool ?? "", a.caller ?? "") < (b.server ?? "", b.tool ?? "", b.caller ?? "")
        }
        byTool = tools.values.sorted(by: busiestFirst)
        byCaller = callers.values.sorted(by: busiestFirst)
    }
}
