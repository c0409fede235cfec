import BrokerProtocol
import CoreMetrics
import Prometheus
import Synchronization

/// The gateway's metrics, recorded through swift-metrics into its own Prometheus registry (no process-wide
/// bootstrap) and served as text on `GET /metrics`. Labels are names the gateway resolved itself (workspace,
/// server, tool, era, status): never a token, an argument, a secret or a client-supplied string.
final class GatewayMetrics: Sendable {
    /// Why a request got 401 or 429, for `sealgate_auth_failures_total`.
    enum AuthFailure: String, CaseIterable {
        case missing, invalid, limited
        /// A valid token presented to a workspace it does not reach.
        case notGranted = "not_granted"
    }

    /// The eras `sealgate_sessions_active` reports, always all of them (a zero is an answer too).
    static let eras = [SessionEra.modern, .streamable, .sse]

    /// Past this many (workspace, server, tool) series the rest are counted under tool `(other)`.
    static let maximumToolSeries = 10_000

    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    private struct ToolKey: Hashable {
        let workspace: String
        let server: String
        let tool: String
    }

    private struct ToolSeries: Sendable {
        let calls: CoreMetrics.Counter
        let errors: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
    }

    private let tools = Mutex<[ToolKey: ToolSeries]>([:])
    private let statuses = Mutex<[Int: CoreMetrics.Counter]>([:])
    private let authFailures: [AuthFailure: CoreMetrics.Counter]
    private let sessions: [SessionEra: CoreMetrics.Gauge]
    private let slowReaderStreams: CoreMetrics.Counter
    private let refusedConnections: [ConnectionEvent.Refusal: CoreMetrics.Counter]
    private let timedOutConnections: [ConnectionEvent.Timeout: CoreMetrics.Counter]
    private let openConnections: CoreMetrics.Gauge
    private let refusedSessions: CoreMetrics.Counter
    /// How many connections are open, read at each scrape.
    private let countOpenConnections: @Sendable () -> Int

    /// `openConnections` tells how many connections are open when `/metrics` is read.
    init(openConnections: @escaping @Sendable () -> Int = { 0 }) {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Calls through a local broker take well under a millisecond; upstream work can take a minute.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
        var failures: [AuthFailure: CoreMetrics.Counter] = [:]
        for reason in AuthFailure.allCases {
            failures[reason] = CoreMetrics.Counter(
                label: "sealgate_auth_failures_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        authFailures = failures
        var gauges: [SessionEra: CoreMetrics.Gauge] = [:]
        for era in Self.eras {
            gauges[era] = CoreMetrics.Gauge(
                label: "sealgate_sessions_active", dimensions: [("era", era.rawValue)], factory: factory)
        }
        sessions = gauges
        slowReaderStreams = CoreMetrics.Counter(
            label: "sealgate_event_streams_ended_total", dimensions: [("reason", "slow_reader")], factory: factory)
        var refused: [ConnectionEvent.Refusal: CoreMetrics.Counter] = [:]
        for reason in ConnectionEvent.Refusal.allCases {
            refused[reason] = CoreMetrics.Counter(
                label: "sealgate_connections_refused_total", dimensions: [("limit", reason.rawValue)],
                factory: factory)
        }
        refusedConnections = refused
        var timedOut: [ConnectionEvent.Timeout: CoreMetrics.Counter] = [:]
        for phase in ConnectionEvent.Timeout.allCases {
            timedOut[phase] = CoreMetrics.Counter(
                label: "sealgate_connections_timed_out_total", dimensions: [("phase", phase.rawValue)],
                factory: factory)
        }
        timedOutConnections = timedOut
        self.openConnections = CoreMetrics.Gauge(label: "sealgate_connections_open", factory: factory)
        countOpenConnections = openConnections
        refusedSessions = CoreMetrics.Counter(
            label: "sealgate_sessions_refused_total", dimensions: [("limit", "per_token")], factory: factory)
    }

    /// A 2025-era session not started: its token held the most it may.
    func sessionRefused() {
        refusedSessions.increment()
    }

    /// One resolved `tools/call`, answered after `duration`.
    func toolCall(workspace: String, server: String, tool: String, duration: Duration, failed: Bool) {
        let series = self.series(ToolKey(workspace: workspace, server: server, tool: tool))
        series.calls.increment()
        if failed { series.errors.increment() }
        let (seconds, attoseconds) = duration.components
        series.duration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    private func series(_ wanted: ToolKey) -> ToolSeries {
        tools.withLock { all in
            var key = wanted
            if all[key] == nil && all.count >= Self.maximumToolSeries {
                key = ToolKey(workspace: wanted.workspace, server: wanted.server, tool: "(other)")
            }
            if let existing = all[key] { return existing }
            let dimensions = [("workspace", key.workspace), ("server", key.server), ("tool", key.tool)]
            let made = ToolSeries(
                calls: CoreMetrics.Counter(
                    label: "sealgate_tool_calls_total", dimensions: dimensions, factory: factory),
                errors: CoreMetrics.Counter(
                    label: "sealgate_tool_errors_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(
                    label: "sealgate_tool_call_duration_seconds", dimensions: dimensions, factory: factory))
            all[key] = made
            return made
        }
    }

    /// One HTTP request answered with `status` (a stream counts as 200 when it opens).
    func httpRequest(status: Int) {
        let counter = statuses.withLock { all in
            if let existing = all[status] { return existing }
            let made = CoreMetrics.Counter(
                label: "sealgate_http_requests_total", dimensions: [("code", "\(status)")], factory: factory)
            all[status] = made
            return made
        }
        counter.increment()
    }

    func authFailure(_ reason: AuthFailure) {
        authFailures[reason]?.increment()
    }

    /// What the HTTP server did to a connection on its own.
    func connection(_ event: ConnectionEvent) {
        switch event {
        case .refused(let limit): refusedConnections[limit]?.increment()
        case .timedOut(let phase): timedOutConnections[phase]?.increment()
        case .slowReader: slowReaderStreams.increment()
        }
    }

    /// The exposition: the gateway's own series, the sessions and connections open now, and the broker's counters
    /// when it answered.
    func exposition(activeSessions: [SessionEra: Int], broker: BrokerStatistics?) -> [UInt8] {
        for era in Self.eras { sessions[era]?.record(activeSessions[era] ?? 0) }
        openConnections.record(countOpenConnections())
        var text = registry.emitToBuffer()
        text += BrokerExposition.render(broker)
        return text
    }
}

/// The transports a client session lives on, as `/metrics` labels them.
enum SessionEra: String, Sendable {
    /// A 2026-07-28 `subscriptions/listen` stream (its requests are stateless).
    case modern = "2026-07-28"
    /// A 2025-era Streamable HTTP session (`Mcp-Session-Id`).
    case streamable = "2025-11-25"
    /// A legacy HTTP+SSE session (`/sse` and `/messages`).
    case sse = "2024-11-05"
}
