import Analytics
import Foundation
import Vault

/// `/w/SLUG/analytics`: a workspace's tool calls over the last hour, day or week: calls and errors over time, and
/// per tool and per caller the calls, errors, p50 and p95, as charts and as a table.
enum AnalyticsPage {
    /// The windows offered: hours back, and the minutes each bar sums.
    static let windows: [(hours: Int, bucketMinutes: Int, name: String)] = [
        (1, 2, "last hour"), (24, 60, "last 24 hours"), (168, 360, "last 7 days"),
    ]

    static func window(_ hours: Int?) -> (hours: Int, bucketMinutes: Int, name: String) {
        windows.first { $0.hours == hours } ?? windows[1]
    }

    static func render(
        _ frame: PageFrame, workspace: WorkspaceInfo, records: [UsageRecord], hours: Int?, now: Int64
    ) -> HTML {
        let window = window(hours)
        let slug = workspace.slug
        let nowMinute = now / 60
        let bucketCount = window.hours * 60 / window.bucketMinutes
        var calls = [Int](repeating: 0, count: bucketCount)
        var errors = [Int](repeating: 0, count: bucketCount)
        for record in records {
            let back = Int(nowMinute - record.minute) / window.bucketMinutes
            guard back >= 0, back < bucketCount else { continue }
            calls[bucketCount - 1 - back] += record.calls
            errors[bucketCount - 1 - back] += record.errors
        }
        let labels = (0..<bucketCount).map { index -> String in
            let minute = nowMinute - Int64((bucketCount - 1 - index) * window.bucketMinutes)
            return label(minute: minute, hours: window.hours)
        }
        let overTime = Chart.columns(
            (0..<bucketCount).map {
                Chart.Bar(label: labels[$0], value: Double(calls[$0]), overlay: Double(errors[$0]))
            }, caption: "Calls and errors, \(window.name)", unit: "calls")
        let report = UsageReport(records)
        let toolName = { (line: UsageReport.Line) in "\(line.server ?? "")__\(line.tool ?? "")" }
        let choices = windows.map { choice -> HTML in
            choice.hours == window.hours
                ? "<strong>\(choice.name)</strong>"
                : "<a href=\"/w/\(slug)/analytics?hours=\(choice.hours)\">\(choice.name)</a>"
        }
        let content: HTML =
            records.isEmpty
            ? "<p>No tool call in the \(window.name).</p>"
            : """
            \(overTime)
            <h2>Per tool</h2>
            \(Chart.rows(report.byTool.map { Chart.Bar(label: toolName($0), value: Double($0.calls)) }, caption: "Calls per tool", unit: "calls"))
            \(Chart.rows(report.byTool.map { Chart.Bar(label: toolName($0), value: ($0.latency.percentile(0.95) ?? 0) / 1000) }, caption: "p95 latency per tool", unit: "ms"))
            \(table(report.byTool, first: "Tool", name: toolName))
            <h2>Per caller</h2>
            \(Chart.rows(report.byCaller.map { Chart.Bar(label: $0.caller ?? "", value: Double($0.calls)) }, caption: "Calls per caller", unit: "calls"))
            \(table(report.byCaller, first: "Caller") { $0.caller ?? "" })
            """
        return frame.page(
            title: "Analytics of \(workspace.name)",
            """
            <h1>Analytics of \(workspace.name) <span class="muted">(\(slug))</span></h1>
            <p><a href="/w/\(slug)">Back to \(slug)</a> · \(choices.map { $0 + " " })</p>\(content)
            """)
    }

    private static func table(_ lines: [UsageReport.Line], first: String, name: (UsageReport.Line) -> String) -> HTML {
        let rows = lines.map { line -> HTML in
            let p50 = line.latency.percentile(0.5).map { Chart.format($0 / 1000) + " ms" } ?? "–"
            let p95 = line.latency.percentile(0.95).map { Chart.format($0 / 1000) + " ms" } ?? "–"
            return
                "<tr><td>\(name(line))</td><td>\(line.calls)</td><td>\(line.errors)</td><td>\(p50)</td><td>\(p95)</td></tr>"
        }
        return """
            <div class="scroll"><table><thead><tr><th scope="col">\(first)</th><th scope="col">Calls</th>
            <th scope="col">Errors</th><th scope="col">p50</th><th scope="col">p95</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }

    private static func label(minute: Int64, hours: Int) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = hours > 24 ? "EEE HH:mm" : "HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(minute * 60)))
    }
}
