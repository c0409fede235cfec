import BrokerProtocol
import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// The gateway's own bounds, without a server: a slow reader's event stream, and a broker that does not answer.
@Suite struct BoundsTests {
    @Test func anEventStreamEndsPastItsByteLimitButLetsOneLargeEventThrough() {
        let large = String(repeating: "x", count: EventStream.byteLimit + 1)
        #expect(EventStream().send(event: "message", data: large))  // alone in the queue: let through

        let stream = EventStream()
        let third = String(repeating: "y", count: EventStream.byteLimit / 3)
        #expect(stream.send(event: "message", data: third))
        #expect(stream.send(event: "message", data: third))
        #expect(!stream.send(event: "message", data: third + third))  // past 8 MiB unread: the stream ends
        #expect(!stream.send(event: "message", data: "after"))
    }

    @Test func anEventStreamReportsOnceThatItEndedForASlowReader() {
        let reports = Atomic<Int>(0)
        let stream = EventStream()
        stream.onOverflow { reports.add(1, ordering: .relaxed) }
        for index in 0..<EventStream.bufferLimit {
            #expect(stream.send(event: "message", data: "\(index)"))
        }
        #expect(reports.load(ordering: .relaxed) == 0)
        #expect(!stream.send(event: "message", data: "one too many"))
        #expect(!stream.send(event: "message", data: "and another"))
        #expect(reports.load(ordering: .relaxed) == 1)
        let late = Atomic<Int>(0)  // a writer that registers after the overflow hears of it at once
        stream.onOverflow { late.add(1, ordering: .relaxed) }
        #expect(late.load(ordering: .relaxed) == 1)

        let finished = EventStream()  // ended by its producer: nothing to report
        finished.onOverflow { reports.add(1, ordering: .relaxed) }
        finished.send(event: "message", data: "last")
        finished.finish()
        #expect(!finished.send(event: "message", data: "after the end"))
        #expect(reports.load(ordering: .relaxed) == 1)
    }

    @Test(.timeLimit(.minutes(1))) func aCallWithATimeoutFailsWhenTheBrokerNeverAnswers() async throws {
        let silent = try await SilentBroker.connect("call")
        defer { silent.close() }
        let link = silent.link
        let started = ContinuousClock.now
        await #expect(throws: GatewayError.self) {
            _ = try await link.call(ref: "m1", .stats(ref: "m1"), timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - started < .seconds(30))  // the time limit is a minute
    }

    /// A token check against a broker that is connected but never answers ends within its timeout as
    /// "unavailable" (503 to the client), and is not counted against the client as a failed attempt.
    @Test(.timeLimit(.minutes(1))) func aTokenCheckGivesUpOnASilentBrokerWithoutCountingAFailure() async throws {
        let silent = try await SilentBroker.connect("token")
        defer { silent.close() }
        let link = silent.link
        let broker = BrokerAccess()
        broker.attach(link)
        _ = broker.store(ConfigSnapshot(generation: 1, activeWorkspace: nil, workspaces: [], clients: []))
        let authenticator = Authenticator(broker: broker, answerTimeout: .milliseconds(100))
        // One past the limiter's burst of 20 failures: were these counted, the last would be `limited`. A check that
        // never gave up would hit the test's time limit. (No tighter clock: under `--parallel`, tests that block
        // threads can delay this one's resumptions by far more than the timeout.)
        for _ in 0..<21 {
            guard case .unavailable = await authenticator.check("mwt_somebody", peer: "198.51.100.7") else {
                Issue.record("a silent broker's answer was taken for a verdict")
                return
            }
        }
    }

}

/// A broker socket that accepts connections (the kernel's backlog does) and never reads or answers, and a link
/// connected to it.
private struct SilentBroker {
    let link: BrokerLink
    let path: String
    let listener: Int32

    static func connect(_ name: String) async throws -> SilentBroker {
        let path = try privateSocketPath("silent-\(name)")
        let listener = try listenOnUnixSocket(at: path)
        return SilentBroker(link: try await BrokerLink.connect(path: path) { _ in }, path: path, listener: listener)
    }

    func close() {
        link.close()
        Glibc.close(listener)
        unlink(path)
    }
}
