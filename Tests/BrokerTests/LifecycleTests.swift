import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Testing
import Vault

@testable import Broker

/// Upstream processes over their life: crashes, hangs, idleness, leases, rotation, and nothing left behind.
@Suite(.serialized)
struct LifecycleTests {
    @Test func aCrashedUpstreamIsRestartedWithBackoff() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start(["--restart-backoff", "300ms"])
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let firstPID = try client.tool(channel, "pid")
        let crash = try client.tool(channel, "crash")
        #expect(crash.contains("exited"))
        let started = Date()
        let secondPID = try client.tool(channel, "pid")
        #expect(Date().timeIntervalSince(started) >= 0.25, "restarted before the backoff")
        #expect(secondPID != firstPID)
        #expect(try client.tool(channel, "echo", ["text": "again"]) == "again")
        #expect(!processExists(Int32(firstPID)!))
        await harness.stop()
    }

    @Test func aHungRequestTimesOutIsCancelledUpstreamAndTheUpstreamKeepsWorking() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start(["--request-timeout", "500ms"])
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let pid = try client.tool(channel, "pid")
        let started = Date()
        let answer = try client.tool(channel, "sleep", ["ms": 5_000])
        #expect(answer.contains("did not answer") && answer.contains("timeout"))
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(try client.tool(channel, "pid") == pid)
        #expect(try client.tool(channel, "echo", ["text": "still here"]) == "still here")
        await harness.stop()
    }

    @Test func aClientCancellationIsForwardedUpstream() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        try client.send(
            .request(
                channel: channel, id: RequestID(42), method: "tools/call",
                params: .object(["name": "sleep", "arguments": .object(["ms": 10_000])])))
        try client.send(
            .notify(
                channel: channel, method: "notifications/cancelled",
                params: .object(["requestId": 42, "reason": "user"])))
        let outcome = try client.receive(timeout: 3) { message -> Outcome? in
            if case .response(channel, RequestID(42), let outcome) = message { return outcome }
            return nil
        }
        guard case .error(let error) = outcome else { throw CLIFailure("\(outcome)") }
        #expect(error.message == "request cancelled")
        #expect(try client.tool(channel, "echo", ["text": "next"]) == "next")
        await harness.stop()
    }

    @Test func anUpstreamThatNeverAnswersItsHandshakeFailsWithinTheHandshakeTimeout() async throws {
        let harness = try BrokerHarness { vault in
            try vault.addServer(
                ServerDefinition(slug: "mute", transport: .stdio(command: "/bin/sleep", args: ["600"])))
            try vault.install(server: "mute", workspace: "eng")
        }
        try await harness.start(["--handshake-timeout", "1s"])  // the harness's own 30 s comes first; the last wins
        let client = try harness.client()
        let started = Date()
        try client.send(.open(ref: "o", workspace: "eng", server: "mute", session: "s"))
        let answer = try client.receive(timeout: 30) { message -> BrokerMessage? in
            if case .failure("o", _, _, _) = message { return message }
            if case .opened("o", _, _, _) = message { return message }
            return nil
        }
        guard case .failure(_, _, .upstreamFailed, _) = answer else { throw CLIFailure("\(answer)") }
        // The era probe, then `initialize`: one handshake timeout each, plus the sweep's 100 ms steps.
        #expect(Date().timeIntervalSince(started) < 8)
        await harness.stop()
    }

    @Test func anIdleUpstreamIsStoppedAndStartsAgainOnUse() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start(["--idle-timeout", "300ms"])
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let pid = Int32(try client.tool(channel, "pid"))!
        #expect(await eventually { !processExists(pid) })
        let again = try client.tool(channel, "pid")
        #expect(Int32(again) != pid)
        await harness.stop()
    }

    @Test func aHundredOpenCloseCyclesLeaveNoProcessAndNoZombie() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let client = try harness.client()
        var pids: [Int32] = []
        for cycle in 0..<100 {
            let (channel, _, _) = try client.open("up", session: "cycle-\(cycle)")
            pids.append(Int32(try client.tool(channel, "pid"))!)
            try client.send(.close(channel: channel))
            _ = try client.receive { message -> Bool? in
                if case .closed(channel, _) = message { return true }
                return nil
            }
        }
        #expect(Set(pids).count == 100)
        #expect(await eventually { pids.allSatisfy { !processExists($0) } }, "leftover upstream processes")
        // The broker itself keeps no upstream child and no unreaped one.
        let broker = try #require(harness.brokerPID)
        #expect(upstreamProcesses(childrenOf: broker).isEmpty)
        #expect(zombies(childrenOf: broker).isEmpty)
        await harness.stop()
    }

    @Test func anExpiredLeaseClosesItsChannelAndStopsTheUpstream() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start(["--lease-ttl", "700ms"])
        let client = try harness.client()
        let (channel, lease, _) = try client.open("up")
        let pid = Int32(try client.tool(channel, "pid"))!
        // Renewal keeps it alive past its first expiry.
        try client.send(.renew(ref: "r", lease: lease.id))
        let renewed = try client.receive { message -> LeaseInfo? in
            if case .renewed("r", let lease) = message { return lease }
            return nil
        }
        #expect(renewed.expiresAt >= lease.expiresAt)
        let reason = try client.receive(timeout: 5) { message -> String? in
            if case .closed(channel, let reason) = message { return reason }
            return nil
        }
        #expect(reason == "lease expired")
        #expect(await eventually { !processExists(pid) })
        // Renewing an expired lease fails, and the failure is audited.
        try client.send(.renew(ref: "late", lease: lease.id))
        let failure = try client.receive { message -> FailureCode? in
            if case .failure("late", _, let code, _) = message { return code }
            return nil
        }
        #expect(failure == .notFound)
        await harness.stop()
        let events = try harness.openVault().auditEntries(workspace: nil).map(\.event)
        #expect(
            events.contains("lease.grant") && events.contains("lease.expire") && events.contains("lease.renew-failed"))
    }

    @Test func aRevokedLeaseClosesItsChannelAndStopsTheUpstream() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let gateway = try harness.client()
        let (channel, lease, _) = try gateway.open("up")
        let pid = Int32(try gateway.tool(channel, "pid"))!
        let admin = try harness.client()
        try admin.send(.listLeases(ref: "l"))
        let listed = try admin.receive { message -> [LeaseInfo]? in
            if case .leases("l", let leases) = message { return leases }
            return nil
        }
        #expect(listed.map(\.id) == [lease.id])
        try admin.send(.revokeLease(ref: "v", lease: lease.id))
        _ = try admin.receive { message -> Bool? in
            if case .revoked("v", _) = message { return true }
            return nil
        }
        let reason = try gateway.receive { message -> String? in
            if case .closed(channel, let reason) = message { return reason }
            return nil
        }
        #expect(reason == "lease revoked")
        #expect(await eventually { !processExists(pid) })
        await harness.stop()
        #expect(try harness.openVault().auditEntries(workspace: nil).contains { $0.event == "lease.revoke" })
    }

    /// A started broker with two upstreams in `eng` and a channel open to each: `uses` (secret TOKEN, "first-value")
    /// and `other` (its own secret OTHER), for rotating TOKEN.
    private static func rotationSetUp() async throws -> (BrokerHarness, BlockingBrokerClient, uses: Int, other: Int) {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "uses")
            try BrokerHarness.addUpstream(vault, slug: "other")
            try vault.setSecret(
                server: "uses", name: "TOKEN", value: SecretValue(unsafeFromString: "first-value"), workspace: "eng")
            try vault.setSecret(
                server: "other", name: "OTHER", value: SecretValue(unsafeFromString: "unchanged"), workspace: "eng")
        }
        try await harness.start()
        let client = try harness.client()
        let (uses, _, _) = try client.open("uses")
        let (other, _, _) = try client.open("other")
        return (harness, client, uses, other)
    }

    @Test func rotationRestartsTheUpstreamsThatUseTheSecretAndOnlyThose() async throws {
        let (harness, client, uses, other) = try await Self.rotationSetUp()
        let usesPID = try client.tool(uses, "pid")
        let otherPID = try client.tool(other, "pid")
        // A call in flight when the secret changes finishes on the old process (drain), then it restarts.
        try client.send(
            .request(
                channel: uses, id: RequestID(9), method: "tools/call",
                params: .object(["name": "sleep", "arguments": .object(["ms": 400])])))
        try harness.openVault().setSecret(
            server: "uses", name: "TOKEN", value: SecretValue(unsafeFromString: "second-value"), workspace: "eng")
        // A request that arrives while the old process drains waits for the new one instead of failing.
        try await Task.sleep(for: .milliseconds(250))
        try client.send(
            .request(
                channel: uses, id: RequestID(10), method: "tools/call",
                params: .object(["name": "env_hash", "arguments": .object(["name": "TOKEN"])])))
        let drained = try client.receive { message -> Outcome? in
            if case .response(uses, RequestID(9), let outcome) = message { return outcome }
            return nil
        }
        #expect(drained.resultValue != nil, "the in-flight call must finish: \(drained)")
        let waited = try client.receive { message -> Outcome? in
            if case .response(uses, RequestID(10), let outcome) = message { return outcome }
            return nil
        }
        let waitedText = waited.resultValue?["content"]?.arrayValue?.first?["text"]
        #expect(waitedText == .string(sha256("second-value")), "\(waited)")
        let changed = try await eventually(within: 3) { try client.tool(uses, "pid") != usesPID }
        #expect(changed)
        #expect(try client.tool(uses, "env_hash", ["name": "TOKEN"]) == sha256("second-value"))
        #expect(try client.tool(other, "pid") == otherPID)
        // Key rotation of the workspace re-establishes too; the master key alone does not change any value.
        let before = try client.tool(uses, "pid")
        try harness.openVault().rotateWorkspaceKey(workspace: "eng")
        #expect(try await eventually(within: 3) { try client.tool(uses, "pid") != before })
        #expect(try client.tool(uses, "env_hash", ["name": "TOKEN"]) == sha256("second-value"))
        await harness.stop()
    }

    /// The new process may list other tools than the old one did, and it will not say so itself: the broker tells
    /// the channels of the upstream it re-established, and only those.
    @Test func aRestartForNewSecretsTellsItsChannelsThatTheirListsMayHaveChanged() async throws {
        let (harness, client, uses, other) = try await Self.rotationSetUp()
        let before = try client.tool(uses, "pid")
        _ = try client.tool(other, "pid")
        try harness.openVault().setSecret(
            server: "uses", name: "TOKEN", value: SecretValue(unsafeFromString: "second-value"), workspace: "eng")
        var heard: [Int: Set<String>] = [:]
        let deadline = Date().addingTimeInterval(5)
        while heard[uses, default: []].count < 3 && Date() < deadline {
            if case .notification(let channel, let method, _) = try client.receive(timeout: 5) {
                heard[channel, default: []].insert(method)
            }
        }
        #expect(
            heard[uses] == [
                "notifications/tools/list_changed", "notifications/prompts/list_changed",
                "notifications/resources/list_changed",
            ])
        // By then the new process answers (it was started before the channels were told).
        #expect(try client.tool(uses, "pid") != before)
        // The other upstream was left alone, and its channel heard nothing.
        try client.send(
            .request(channel: other, id: RequestID(77), method: "tools/call", params: .object(["name": "pid"])))
        while true {
            let message = try client.receive(timeout: 5)
            if case .response(other, RequestID(77), _) = message { break }
            if case .notification(other, let method, _) = message { Issue.record("the other channel heard \(method)") }
        }
        #expect(heard[other] == nil)
        await harness.stop()
    }

    @Test func stoppingTheBrokerStopsEveryUpstream() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up", shared: true) }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let pid = Int32(try client.tool(channel, "pid"))!
        await harness.stop()
        #expect(await eventually { !processExists(pid) })
    }
}

/// Test-upstream processes whose parent is `parent`.
func upstreamProcesses(childrenOf parent: Int32) -> [Int32] {
    ShutdownDeadline.childProcesses(of: parent).filter { pid in
        ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "").hasSuffix(
            "sealgate-test-upstream")
    }
}

/// Children of `parent` in state Z.
func zombies(childrenOf parent: Int32) -> [Int32] {
    ShutdownDeadline.childProcesses(of: parent).filter { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
