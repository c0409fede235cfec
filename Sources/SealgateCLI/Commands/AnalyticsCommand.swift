import Analytics
import ArgumentParser
import Foundation
import Vault

struct AnalyticsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Tool calls per tool and per caller: calls, errors, p50/p95 latency, last use.",
        discussion: """
            Counted by the gateway (never arguments, results or tokens) and written to the vault by the broker about
            once a second. Latencies are measured in the gateway, from the request to the upstream's answer, and
            read from histograms whose buckets are about 19 % wide. Kept for \(SecretVault.usageRetentionDays) days.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this workspace.") var workspace: String?
    @Option(help: "How far back: 30m, 24h, 7d (default 24h).") var since: DurationArgument?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let window = since?.seconds ?? 86_400
        let from = Int64(Date().timeIntervalSince1970 * 1000) - window * 1000
        let report = UsageReport(try global.openVault().usage(workspace: workspace, since: from))
        if json {
            try Output.json(AnalyticsJSON(report, sinceSeconds: window))
            return
        }
        let tools = report.byTool.map { line in
            [line.workspace, line.server ?? "", line.tool ?? ""] + Self.numbers(line)
        }
        Output.table(
            ["WORKSPACE", "SERVER", "TOOL", "CALLS", "ERRORS", "P50", "P95", "LAST USE"], tools,
            empty: "No tool calls in the last \(Self.describe(window)).")
        guard !report.byCaller.isEmpty else { return }
        Output.line("")
        Output.table(
            ["WORKSPACE", "CALLER", "CALLS", "ERRORS", "P50", "P95", "LAST USE"],
            report.byCaller.map { [$0.workspace, $0.caller ?? ""] + Self.numbers($0) }, empty: "")
    }

    private static func numbers(_ line: UsageReport.Line) -> [String] {
        [
            "\(line.calls)", "\(line.errors)", milliseconds(line.latency.percentile(0.5)),
            milliseconds(line.latency.percentile(0.95)), Output.time(line.lastUsedAt / 1000),
        ]
    }

    private static func milliseconds(_ microseconds: Double?) -> String {
        guard let microseconds else { return "-" }
        let ms = microseconds / 1000
        return ms < 10 ? String(format: "%.2f ms", ms) : String(format: "%.0f ms", ms)
    }

    private static func describe(_ seconds: Int64) -> String {
        seconds % 86_400 == 0
            ? "\(seconds / 86_400)d"
            : seconds % 3600 == 0
                ? "\(seconds / 3600)h"
                : seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s"
    }
}

private struct AnalyticsJSON: Encodable {
    struct Line: Encodable {
        let workspace: String
        let server: String?
        let tool: String?
        let caller: String?
        let calls: Int
        let errors: Int
        let p50Ms: Double?
        let p95Ms: Double?
        let lastUsedAt: String

        init(_ line: UsageReport.Line) {
            (workspace, server, tool, caller, calls, errors) = (
                line.workspace, line.server, line.tool, line.caller, line.calls, line.errors
            )
            p50Ms = line.latency.percentile(0.5).map { ($0 / 10).rounded() / 100 }
            p95Ms = line.latency.percentile(0.95).map { ($0 / 10).rounded() / 100 }
            lastUsedAt = Output.time(line.lastUsedAt / 1000)
        }
    }

    let sinceSeconds: Int64
    let tools: [Line]
    let callers: [Line]

    init(_ report: UsageReport, sinceSeconds: Int64) {
        self.sinceSeconds = sinceSeconds
        tools = report.byTool.map(Line.init)
        callers = report.byCaller.map(Line.init)
    }
}
