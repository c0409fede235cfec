import BrokerProtocol
import Foundation
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

    @Test(.timeLimit(.minutes(1))) func aCallWithATimeoutFailsWhenTheBrokerNeverAnswers() async throws {
        // A socket that accepts connections (the kernel's backlog does) and never reads or answers.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("silent-\(getpid()).sock").path
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer {
            close(listener)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0 && listen(listener, 4) == 0)

        let link = try await BrokerLink.connect(path: path) { _ in }
        defer { link.close() }
        let started = ContinuousClock.now
        await #expect(throws: GatewayError.self) {
            _ = try await link.call(ref: "m1", .stats(ref: "m1"), timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
