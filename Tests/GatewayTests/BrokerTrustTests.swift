import Foundation
import TestSupport
import Testing

/// The gateway sends the broker every bearer token it checks and believes its answers, so it talks only to a broker
/// of its own user, at a path no other user can take over; the broker refuses to serve at such a path at all.
@Suite struct BrokerTrustTests {
    /// Starts `sealgate gateway` against `socket`; returns it and its port.
    static func gateway(socket: String) throws -> (Process, Int) {
        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: ServeHarness.binary)
        gateway.arguments = ["gateway", "--broker-socket", socket, "--listen", "127.0.0.1:0", "--log-level", "error"]
        gateway.environment = ["PATH": "/usr/bin:/bin"]
        let output = Pipe()
        gateway.standardOutput = output
        gateway.standardError = FileHandle.nullDevice
        try gateway.run()
        let watchdog = gateway.killIfStillRunning(after: 60)  // a gateway that never says its port ends the read
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        watchdog.cancel()
        let port = try #require(line.firstMatch(of: /LISTENING (\d+)/).flatMap { Int($0.1) }, "\(line)")
        return (gateway, port)
    }

    /// Another user listens where the gateway looks for its broker (the file and its directory are fine; only the
    /// peer's uid tells). The gateway hangs up without a word: the fake broker learns no token, and the client gets
    /// 503 rather than whatever the fake broker would have said.
    @Test(.enabled(if: ForeignBroker.isAvailable))
    func theGatewayTellsABrokerOfAnotherUserNothing() throws {
        let socket = try privateSocketPath("foreign")
        let foreign = try ForeignBroker(at: socket)
        let (gateway, port) = try Self.gateway(socket: socket)
        defer { _ = try? gateway.stop() }
        let token = "mwt_" + String(repeating: "Q", count: 43)
        let answer = try HTTP.modern(port: port, "/ws/eng/mcp", token: token, method: "tools/list", timeout: 15)
        #expect(answer.status == 503)
        let received = try foreign.received()
        #expect(received.isEmpty, "the fake broker heard: \(String(decoding: received, as: UTF8.self))")
    }

    /// A socket path in a directory other users can write (here `/tmp`-like: world-writable and sticky) could be
    /// anyone's: the broker will not serve there, and the gateway will not connect there.
    @Test func aSocketInADirectoryOthersCanWriteIsRefusedByBothEnds() throws {
        var template = Array("/tmp/sealgate-shared-XXXXXX".utf8CString)
        let shared = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: shared) }
        chmod(shared, 0o1777)
        let harness = try ServeHarness()
        try harness.ok(["init"])
        let broker = try harness.run(["broker", "--socket", shared + "/broker.sock"])
        #expect(broker.status == 4, "\(broker.stderr)")
        #expect(broker.stderr.contains("can be written by other users"), "\(broker.stderr)")

        // Someone else's listener there is never even connected to.
        let listener = try listenOnUnixSocket(at: shared + "/broker.sock")
        defer { close(listener) }
        let (gateway, port) = try Self.gateway(socket: shared + "/broker.sock")
        defer { _ = try? gateway.stop() }
        let answer = try HTTP.modern(
            port: port, "/ws/eng/mcp", token: "mwt_" + String(repeating: "Q", count: 43), method: "tools/list")
        #expect(answer.status == 503)
        var pending = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        #expect(poll(&pending, 1, 500) == 0, "the gateway connected to a socket in a shared directory")
    }
}
