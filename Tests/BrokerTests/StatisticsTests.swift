import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Testing
import Vault

/// The broker's counters (`stats`, for the gateway's `/metrics`), and what it does for a client that stops reading.
@Suite struct StatisticsTests {
    @Test func startsRestartsFailuresAndLeasesAreCountedOnce() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "up")
            // Exits at once, before it can answer the handshake: one failed start, not two.
            try vault.addServer(ServerDefinition(slug: "broken", transport: .stdio(command: "/bin/false", args: [])))
            try vault.install(server: "broken", workspace: "eng")
        }
        try await harness.start(["--restart-backoff", "50ms"])
        let client = try harness.client()
        let (channel, lease, _) = try client.open("up")
        _ = try client.tool(channel, "crash")
        #expect(await eventually { (try? client.tool(channel, "echo", ["text": "back"])) == "back" })
        try client.send(.open(ref: "b", workspace: "eng", server: "broken", session: "s1"))
        _ = try client.receive(timeout: 20) { message -> Bool? in
            if case .failure("b", _, _, _) = message { return true }
            return nil
        }
        try client.send(.revokeLease(ref: "v", lease: lease.id))
        _ = try client.receive { message -> Bool? in
            if case .revoked("v", _) = message { return true }
            return nil
        }

        try client.send(.stats(ref: "m"))
        let statistics = try client.receive { message -> BrokerStatistics? in
            if case .statistics("m", let statistics) = message { return statistics }
            return nil
        }
        let up = try #require(statistics.upstreams.first { $0.server == "up" })
        let broken = try #require(statistics.upstreams.first { $0.server == "broken" })
        #expect((up.starts, up.restarts, up.failures) == (2, 1, 1))
        #expect((broken.starts, broken.restarts, broken.failures) == (0, 0, 1))
        #expect(statistics.leases == [.init(workspace: "eng", active: 0, granted: 1, expired: 0, revoked: 1)])
        #expect(statistics.droppedUnasked == 0)
        await harness.stop()
    }

    @Test func notificationsForAClientThatStopsReadingAreDroppedAndItsAnswerIsNot() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start(["--log-level", "warning"])
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let pid = try #require(Int32(try client.tool(channel, "pid")))
        // 16 MiB of notifications (about 16,000) while the client reads nothing.
        let total = 16 << 20
        try client.send(
            .request(
                channel: channel, id: RequestID(7), method: "tools/call",
                params: .object(["name": "flood", "arguments": .object(["kind": "notifications", "mb": 16])])))
        #expect(await eventually(within: 120) { writtenBytes(pid) >= total })
        try await Task.sleep(for: .milliseconds(500))  // the last pipe buffer's worth reaches the socket

        var notifications = 0
        let outcome = try client.receive(timeout: 60) { message -> Outcome? in
            if case .notification(channel, "notifications/message", _) = message { notifications += 1 }
            if case .response(channel, RequestID(7), let outcome) = message { return outcome }
            return nil
        }
        guard case .result(let result) = outcome else { throw CLIFailure("the flood call failed: \(outcome)") }
        #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue == "flooded 16384 notifications")
        // What fits in the socket and the broker's 4 MiB write buffer got through; the rest was dropped.
        #expect(notifications > 0 && notifications < 12_000, "\(notifications) of 16384 arrived")
        // Every one not sent was counted.
        try client.send(.stats(ref: "m"))
        let statistics = try client.receive { message -> BrokerStatistics? in
            if case .statistics("m", let statistics) = message { return statistics }
            return nil
        }
        #expect(statistics.droppedUnasked == 16384 - notifications)
        await harness.stop()
    }
}

/// Bytes a process has written (`wchar` of /proc/PID/io); 0 when it cannot be read.
private func writtenBytes(_ pid: Int32) -> Int {
    guard let io = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8),
        let line = io.split(separator: "\n").first(where: { $0.hasPrefix("wchar:") })
    else { return 0 }
    return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
}
