import Foundation
import Testing

@testable import Gateway

/// `GET /metrics` through `serve`: the gateway's own series and the broker's counters in Prometheus text, with no
/// secret, token or argument in it.
@Suite struct MetricsTests {
    @Test func callsSessionsAuthFailuresUpstreamsAndLeasesAreExposed() throws {
        let (harness, token) = try ServingTests.served(extra: ["--restart-backoff", "50ms"])
        let marker = "argument-marker-\(UUID().uuidString)"
        func call(_ tool: String, _ arguments: String, id: Int = 1) throws -> HTTP.Response {
            try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: id, method: "tools/call",
                params: #""name":"\#(tool)","arguments":\#(arguments)"#, name: tool)
        }
        for _ in 0..<3 { #expect(try call("up__echo", #"{"text":"\#(marker)"}"#).status == 200) }
        #expect(try call("up__echo", "{}").status == 200)  // a tool error: the text is missing
        #expect(try call("up__leak_env", #"{"name":"API_KEY"}"#).text.contains("[REDACTED:API_KEY]"))
        _ = try call("up__crash", "{}")  // the upstream dies: a failure, then a restart on the next call
        var attempts = 0  // an echo sent before the broker saw the exit fails, and is counted like any call
        try eventually(within: 5) {
            attempts += 1
            return try call("up__echo", #"{"text":"back"}"#, id: 2).text.contains("back")
        }
        // Refusals: no token, an unknown token.
        #expect(try HTTP.modern(port: harness.port, harness.path(), token: nil, method: "tools/list").status == 401)
        let unknown = "mwt_" + String(repeating: "x", count: 40)
        #expect(try HTTP.modern(port: harness.port, harness.path(), token: unknown, method: "tools/list").status == 401)
        // A 2025-era session, and an HTTP+SSE one whose stream stays open while we scrape.
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(initialize.header("Mcp-Session-Id") != nil)
        let sse = try HTTP.Connection(port: harness.port)
        try sse.send("GET", harness.path("eng", "sse"), headers: [("Authorization", "Bearer \(token)")], body: [])

        var text = ""
        try eventually(within: 5) {
            text = try HTTP.request(port: harness.port, "GET", "/metrics").text
            return text.contains(#"sealgate_sessions_active{era="2024-11-05"} 1"#)
        }
        let tool = #"workspace="eng",server="up",tool="echo""#
        #expect(value(text, "sealgate_tool_calls_total{\(tool)}") == Double(4 + attempts))
        #expect(value(text, "sealgate_tool_errors_total{\(tool)}") == Double(attempts))
        #expect(value(text, "sealgate_tool_call_duration_seconds_count{\(tool)}") == Double(4 + attempts))
        #expect(value(text, #"sealgate_tool_calls_total{workspace="eng",server="up",tool="crash"}"#) == 1)
        #expect(value(text, #"sealgate_auth_failures_total{reason="missing"}"#) == 1)
        #expect(value(text, #"sealgate_auth_failures_total{reason="invalid"}"#) == 1)
        #expect(value(text, #"sealgate_event_streams_ended_total{reason="slow_reader"}"#) == 0)
        #expect(value(text, #"sealgate_sessions_active{era="2025-11-25"}"#) == 1)
        #expect(value(text, #"sealgate_sessions_active{era="2026-07-28"}"#) == 0)
        #expect((value(text, #"sealgate_http_requests_total{code="200"}"#) ?? 0) >= 8)
        #expect(value(text, #"sealgate_http_requests_total{code="401"}"#) == 2)
        #expect(value(text, "sealgate_broker_up") == 1)
        #expect(value(text, "sealgate_broker_dropped_unasked_total") == 0)
        let upstream = #"workspace="eng",server="up""#
        #expect((value(text, "sealgate_upstream_starts_total{\(upstream)}") ?? 0) >= 2)
        #expect((value(text, "sealgate_upstream_restarts_total{\(upstream)}") ?? 0) >= 1)
        #expect((value(text, "sealgate_upstream_failures_total{\(upstream)}") ?? 0) >= 1)
        #expect((value(text, #"sealgate_leases_active{workspace="eng"}"#) ?? 0) >= 1)
        #expect((value(text, #"sealgate_leases_granted_total{workspace="eng"}"#) ?? 0) >= 1)
        #expect(text.contains("# TYPE sealgate_tool_call_duration_seconds histogram"))

        for forbidden in [ServingTests.secret, token, unknown, marker, "API_KEY"] {
            #expect(!text.contains(forbidden), "the metrics hold \(forbidden)")
        }
        // A web page may not read them, even from this machine.
        let crossOrigin = try HTTP.request(
            port: harness.port, "GET", "/metrics", headers: [("Origin", "https://evil.example")])
        #expect(crossOrigin.status == 403)
        #expect(try HTTP.request(port: harness.port, "POST", "/metrics").status == 405)
        close(sse.fd)
    }

    @Test func peersOtherThanLoopbackNeedTheMetricsToken() {
        #expect(Front.mayReadMetrics(peer: "127.0.0.1", bearer: nil, metricsToken: nil))
        #expect(Front.mayReadMetrics(peer: "::1", bearer: nil, metricsToken: nil))
        #expect(Front.mayReadMetrics(peer: "::ffff:127.0.0.1", bearer: nil, metricsToken: nil))
        #expect(!Front.mayReadMetrics(peer: "10.0.0.7", bearer: nil, metricsToken: nil))
        #expect(!Front.mayReadMetrics(peer: "10.0.0.7", bearer: "anything", metricsToken: nil))
        #expect(!Front.mayReadMetrics(peer: "10.0.0.7", bearer: "", metricsToken: ""))
        #expect(!Front.mayReadMetrics(peer: "10.0.0.7", bearer: "scrape-secret-2", metricsToken: "scrape-secret"))
        #expect(!Front.mayReadMetrics(peer: "10.0.0.7", bearer: "scrape-secreT", metricsToken: "scrape-secret"))
        #expect(Front.mayReadMetrics(peer: "10.0.0.7", bearer: "scrape-secret", metricsToken: "scrape-secret"))
    }

    @Test func labelValuesAreEscapedAndAnAbsentBrokerReadsAsDown() {
        #expect(BrokerExposition.escape(#"a"b\c"# + "\n") == #"a\"b\\c\n"#)
        #expect(String(decoding: BrokerExposition.render(nil), as: UTF8.self).contains("sealgate_broker_up 0\n"))
    }

    /// The value of the sample line that starts with `series` (exactly), if there is one.
    private func value(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
