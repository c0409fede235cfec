import Analytics
import Testing

@testable import Gateway

/// The gateway's counts stay bounded, and what could not be sent is kept for the next flush.
struct UsageRecorderTests {
    func count(_ recorder: UsageRecorder, tool: String, failed: Bool = false) {
        recorder.record(
            workspace: "eng", server: "up", tool: tool, caller: "workspace:default", duration: .milliseconds(2),
            failed: failed, at: 1_800_000_000_000)
    }

    @Test func callsOfOneKeyAddUpAndNewKeysPastTheBoundAreDropped() {
        let recorder = UsageRecorder()
        count(recorder, tool: "echo")
        count(recorder, tool: "echo", failed: true)
        for index in 0..<UsageRecorder.maximumKeys { count(recorder, tool: "tool-\(index)") }
        count(recorder, tool: "echo")  // an existing key is still counted
        let (records, dropped) = recorder.drain()
        #expect(records.count == UsageRecorder.maximumKeys)
        #expect(dropped == 1)
        let echo = records.first { $0.tool == "echo" }
        #expect(echo?.calls == 3 && echo?.errors == 1 && echo?.latency.total == 3)
        #expect(recorder.drain().records.isEmpty, "draining empties it")
    }

    @Test func recordsThatCouldNotBeSentAreMergedIntoTheNextFlush() {
        let recorder = UsageRecorder()
        count(recorder, tool: "echo")
        let (unsent, _) = recorder.drain()
        count(recorder, tool: "echo", failed: true)
        recorder.restore(unsent)
        let (records, dropped) = recorder.drain()
        #expect(dropped == 0)
        #expect(records.count == 1 && records[0].calls == 2 && records[0].errors == 1)
    }
}
