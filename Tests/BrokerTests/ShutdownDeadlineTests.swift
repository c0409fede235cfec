import Foundation
import TestSupport
import Testing

@testable import Broker

/// The last resort of a broker or gateway whose orderly shutdown hangs: it kills its children by what /proc says.
struct ShutdownDeadlineTests {
    @Test func childrenAreFoundByTheirParentInProc() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { _ = try? child.stop(signal: SIGKILL) }
        let children = ShutdownDeadline.childProcesses()
        #expect(children.contains(child.processIdentifier))
        #expect(!children.contains(getpid()))
        #expect(children.allSatisfy { $0 > 0 })
    }
}
