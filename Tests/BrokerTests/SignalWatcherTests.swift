import Broker
import Foundation
import Synchronization
import Testing

/// Stop signals reach the broker, the gateway and `sealgate run` whichever thread the kernel delivers them to.
@Suite(.serialized)
struct SignalWatcherTests {
    @Test func everySignalSentIsSeenWhicheverThreadSendsIt() async throws {
        let watcher = SignalWatcher([SIGUSR2])
        let seen = Mutex(0)
        let counting = Task {
            for await _ in watcher.signals { seen.withLock { $0 += 1 } }
        }
        defer { counting.cancel() }
        // From threads of the pool, one signal at a time (a signal sent while one is pending is merged with it).
        for round in 1...200 {
            _ = await Task.detached { kill(getpid(), SIGUSR2) }.value
            let arrived = await eventually(within: 5) { seen.withLock { $0 } == round }
            try #require(arrived, "signal \(round) was lost")
        }
    }
}
