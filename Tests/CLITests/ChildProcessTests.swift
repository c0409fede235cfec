import Foundation
import TestSupport
import Testing

/// The test helpers' waits give each child's `Process`, and so its pipes, back: leaked pipes once pushed the test
/// process past the descriptor count at which Foundation 6.3.1's `Process.run()` crashes.
struct ChildProcessTests {
    @Test func aWaitedProcessIsFreedWithItsPipes() throws {
        weak var freed: Process?
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/true")
            let (output, errors) = (Pipe(), Pipe())
            (process.standardOutput, process.standardError) = (output, errors)
            process.standardInput = FileHandle.nullDevice
            try process.run()
            // Polled the way the helpers poll, not read: the wait alone must break Foundation's retain cycle.
            let ending = try process.waitForExit(within: 30)
            #expect(ending.status == 0 && !ending.signalled)
            freed = process
        }
        #expect(Self.released { freed }, "the Process outlived its last reference, and kept its pipes open")
    }

    @Test func aStoppedProcessIsFreed() throws {
        weak var freed: Process?
        do {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sleep")
            process.arguments = ["30"]
            process.standardOutput = Pipe()
            try process.run()
            try process.stop(signal: SIGKILL)
            freed = process
        }
        #expect(Self.released { freed }, "the Process outlived its last reference, and kept its pipes open")
    }

    /// Whether `reference()` becomes nil within a second: Foundation's own thread lets go of the process a moment
    /// after it marks it ended.
    private static func released(_ reference: () -> Process?) -> Bool {
        let deadline = Date().addingTimeInterval(1)
        while reference() != nil, Date() < deadline { usleep(1_000) }
        return reference() == nil
    }
}
