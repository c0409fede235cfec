import Foundation
import MCPWire
import TestSupport
import Testing

/// `serve` keeps its gateway alive and stops everything it started.
@Suite struct ServeLifecycleTests {
    @Test func aKilledGatewayIsBackOnTheSamePortAndSIGTERMStopsEverything() throws {
        let (harness, token) = try ServingTests.served()
        let pidCall = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__pid","arguments":{}"#, name: "up__pid")
        let upstreamPID = try #require(
            pidCall.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue.flatMap { Int32($0) })
        let gateway = try harness.gatewayPID()
        kill(gateway, SIGKILL)
        let killedAt = Date()
        try eventually(within: 5) {
            (try? HTTP.request(port: harness.port, "GET", "/healthz", timeout: 1))?.status == 200
                && (try? harness.gatewayPID()) != gateway
        }
        #expect(Date().timeIntervalSince(killedAt) < 1)
        let again = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params: #""name":"up__echo","arguments":{"text":"back"}"#, name: "up__echo")
        #expect(again.json?["result"]?["content"]?.arrayValue?.first?["text"] == "back")

        let newGateway = try harness.gatewayPID()
        harness.stop()
        #expect(harness.servePID.map { !isRunning($0) } == true)
        try eventually(within: 3) { !isRunning(newGateway) }
        try eventually(within: 3) { !isRunning(upstreamPID) }
    }

    /// `scripts/install` renames a new binary over the one `serve` was started from. A gateway that dies afterwards
    /// is restarted from `serve`'s own binary, not from whatever the path now holds (here a program that exits at
    /// once: a restart from the path would never come back).
    @Test func aGatewayRestartedAfterTheBinaryWasReplacedRunsServesOwn() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        let copy = (harness.home as NSString).deletingLastPathComponent + "/sealgate"
        try FileManager.default.copyItem(atPath: ServeHarness.binary, toPath: copy)
        try harness.start(binary: copy)
        let replacement = copy + ".new"
        try "#!/bin/sh\nexit 1\n".write(toFile: replacement, atomically: true, encoding: .utf8)
        chmod(replacement, 0o755)
        #expect(rename(replacement, copy) == 0)

        let gateway = try harness.gatewayPID()
        kill(gateway, SIGKILL)
        try eventually(within: 10) {
            (try? HTTP.request(port: harness.port, "GET", "/healthz", timeout: 1))?.status == 200
                && (try? harness.gatewayPID()).map { $0 != gateway } == true
        }
    }
}

extension ServeLifecycleTests {
    @Test func aGatewayWhoseServeWasKilledStops() throws {
        let (harness, _) = try ServingTests.served()
        let gateway = try harness.gatewayPID()
        let serve = try #require(harness.servePID)
        kill(serve, SIGKILL)
        try eventually(within: 3) { !isRunning(gateway) }
    }

    @Test func withoutItsBrokerTheGatewayAnswers503NotAnInvalidToken() throws {
        var template = Array("/tmp/sealgate-nobroker-XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (gateway, port) = try BrokerTrustTests.gateway(socket: directory + "/none.sock")
        defer { _ = try? gateway.stop() }
        #expect(try HTTP.request(port: port, "GET", "/healthz").status == 503)
        let token = "mwt_" + String(repeating: "A", count: 43)
        let answer = try HTTP.modern(port: port, "/ws/eng/mcp", token: token, method: "tools/list")
        #expect(answer.status == 503 && answer.header("Retry-After") == "1")
        #expect(try HTTP.modern(port: port, "/ws/eng/mcp", token: nil, method: "tools/list").status == 401)
    }
}

/// Whether `pid` is a live process (a zombie awaiting its reaper is not).
func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
