import Analytics
import Testing

struct LatencyHistogramTests {
    @Test func percentilesFallWithinTheBucketResolution() {
        var histogram = LatencyHistogram()
        // 1, 2, …, 1000 ms: the true p50 is 500 ms and the true p95 950 ms.
        for ms in 1...1000 { histogram.record(.milliseconds(ms)) }
        #expect(histogram.total == 1000)
        let p50 = histogram.percentile(0.5)! / 1000
        let p95 = histogram.percentile(0.95)! / 1000
        #expect(abs(p50 - 500) / 500 < 0.10, "p50 \(p50) ms")
        #expect(abs(p95 - 950) / 950 < 0.10, "p95 \(p95) ms")
        #expect(LatencyHistogram().percentile(0.5) == nil)
    }

    @Test func bucketsCoverTinyAndHugeDurations() {
        #expect(LatencyHistogram.bucket(microseconds: 0) == 0)
        #expect(LatencyHistogram.bucket(microseconds: 1) == 0)
        #expect(LatencyHistogram.bucket(microseconds: 2) == 4)
        #expect(LatencyHistogram.bucket(microseconds: 1e12) == LatencyHistogram.bucketCount - 1)
        var histogram = LatencyHistogram()
        histogram.record(.seconds(3600))
        #expect(histogram.counts == [LatencyHistogram.bucketCount - 1: 1])
    }

    @Test func mergingAddsCountsAndTheStoredFormRoundTrips() throws {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for _ in 0..<3 { a.record(.microseconds(300)) }
        b.record(.microseconds(300))
        b.record(.milliseconds(20))
        a.merge(b)
        #expect(a.total == 5)
        #expect(a.counts[LatencyHistogram.bucket(microseconds: 300)] == 4)
        let stored = try #require(LatencyHistogram(encoded: a.encoded))
        #expect(stored == a)
        #expect(LatencyHistogram(encoded: "") == LatencyHistogram())
        #expect(LatencyHistogram(encoded: "3:x") == nil)
        // Out-of-range buckets are clamped, non-positive counts dropped.
        #expect(LatencyHistogram(counts: [-4: 1, 500: 2, 7: 0]).counts == [0: 1, LatencyHistogram.bucketCount - 1: 2])
    }

    @Test func aReportSumsPerToolAndPerCallerBusiestFirst() {
        func record(_ tool: String, _ caller: String, calls: Int, errors: Int, minute: Int64) -> UsageRecord {
            var latency = LatencyHistogram()
            for _ in 0..<calls { latency.record(.milliseconds(2)) }
            return UsageRecord(
                workspace: "acme", server: "gh", tool: tool, caller: caller, minute: minute, calls: calls,
                errors: errors, latency: latency, lastUsedAt: minute * 60_000)
        }
        let report = UsageReport([
            record("search", "workspace:ci", calls: 3, errors: 1, minute: 10),
            record("search", "client:alice", calls: 4, errors: 0, minute: 11),
            record("create", "client:alice", calls: 1, errors: 1, minute: 12),
        ])
        #expect(report.byTool.map(\.tool) == ["search", "create"])
        #expect(report.byTool[0].calls == 7 && report.byTool[0].errors == 1)
        #expect(report.byTool[0].lastUsedAt == 11 * 60_000)
        #expect(report.byCaller.map(\.caller) == ["client:alice", "workspace:ci"])
        #expect(report.byCaller[0].calls == 5 && report.byCaller[0].errors == 1)
        #expect(report.byCaller[0].latency.total == 5)
    }
}
