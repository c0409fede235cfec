import Testing

@testable import Gateway

/// One workspace's large bodies in flight are capped, so that it cannot keep the broker busy parsing its frames
/// while every other workspace's calls wait behind them.
struct LargeBodiesTests {
    @Test func aWorkspacePastItsCapIsRefusedWhileOthersAreNot() throws {
        let bodies = LargeBodies()
        let maximal = 4 << 20
        let admitted = (0..<4).compactMap { _ in bodies.admit(maximal, workspace: "eng") }
        #expect(admitted.count == 4)
        #expect(bodies.admit(maximal, workspace: "eng") == nil)
        #expect(bodies.admit(100, workspace: "eng") != nil)  // small bodies are never held back
        #expect(bodies.admit(maximal, workspace: "ops") != nil)
        admitted[0].end()
        admitted[0].end()  // once only
        let next = try #require(bodies.admit(maximal, workspace: "eng"))
        #expect(bodies.admit(maximal, workspace: "eng") == nil)
        next.end()
    }

    @Test func aBodyOverTheCapAloneIsLetIn() {
        let bodies = LargeBodies()
        #expect(bodies.admit(LargeBodies.maximumBytesPerWorkspace + 1, workspace: "eng") != nil)
        #expect(bodies.admit(1 << 20, workspace: "eng") == nil)
    }
}
