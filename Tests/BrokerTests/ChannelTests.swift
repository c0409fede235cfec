import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Testing
import Vault

/// Channels to real upstream processes in both eras, through the real socket.
@Suite(.serialized)
struct ChannelTests {
    @Test(arguments: ["legacy", "modern", "dual"])
    func bothErasLookTheSameBehindAChannel(_ era: String) async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up", era: era) }
        try await harness.start()
        defer { Task { await harness.stop() } }
        let client = try harness.client()
        let (channel, lease, upstream) = try client.open("up")
        #expect(upstream.protocolVersion == (era == "legacy" ? "2025-11-25" : "2026-07-28"))
        #expect(upstream.serverInfo?["name"] == "sealgate-test-upstream")
        #expect(lease.workspace == "eng" && lease.server == "up")

        let list = try client.call(channel, "tools/list")
        guard case .result(let tools) = list else { throw CLIFailure("tools/list: \(list)") }
        #expect(tools["tools"]?.arrayValue?.contains { $0["name"] == "echo" } == true)
        // The neutral model: no era-specific fields, whatever the upstream speaks.
        #expect(tools["resultType"] == nil && tools["ttlMs"] == nil && tools["cacheScope"] == nil)
        #expect(try client.tool(channel, "echo", ["text": "hi 1.0"]) == "hi 1.0")
        let prompt = try client.call(
            channel, "prompts/get", .object(["name": "greeting", "arguments": .object(["name": "Ada"])]))
        #expect(prompt == .result(prompt.resultValue!) && prompt.resultValue?["messages"]?.arrayValue?.count == 1)
        let missing = try client.call(channel, "no/such/method")
        if case .error(let error) = missing { #expect(error.code == -32601) } else { Issue.record("expected -32601") }
        await harness.stop()
    }

    @Test func oneProcessServesEveryCallOfASession() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let pids = try (0..<20).map { _ in try client.tool(channel, "pid") }
        #expect(Set(pids).count == 1)
        // A second session gets its own process; a shared server would not.
        let (other, _, _) = try client.open("up", session: "s2")
        #expect(try client.tool(other, "pid") != pids[0])
        await harness.stop()
    }

    @Test func sharedServersServeEverySessionFromOneProcess() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up", shared: true) }
        try await harness.start()
        let client = try harness.client()
        let (a, _, _) = try client.open("up", session: "s1")
        let (b, _, _) = try client.open("up", session: "s2")
        #expect(try client.tool(a, "pid") == (try client.tool(b, "pid")))
        // Ids are remapped: the same client id on two channels of one process does not collide.
        try client.send(
            .request(
                channel: a, id: RequestID(7), method: "tools/call",
                params: .object(["name": "sleep", "arguments": .object(["ms": 200])])))
        try client.send(
            .request(
                channel: b, id: RequestID(7), method: "tools/call",
                params: .object(["name": "echo", "arguments": .object(["text": "b"])])))
        var answers: [Int: String] = [:]
        while answers.count < 2 {
            if case .response(let channel, RequestID(7), .result(let result)) = try client.receive() {
                answers[channel] = result["content"]?.arrayValue?.first?["text"]?.stringValue
            }
        }
        #expect(answers == [a: "slept 200", b: "b"])
        await harness.stop()
    }

    /// A legacy upstream of one session declares the client capabilities its `open` named; a shared one declares
    /// none, whatever the `open` said.
    @Test func anUpstreamOfOneSessionDeclaresTheCapabilitiesItsOpenNamed() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "own", era: "legacy")
            try BrokerHarness.addUpstream(vault, slug: "pool", era: "legacy", shared: true)
        }
        try await harness.start()
        let client = try harness.client()
        let capabilities: JSONValue = .object(["elicitation": .object([:]), "roots": .object(["listChanged": true])])
        let (own, _, _) = try client.open("own", clientCapabilities: capabilities)
        let (pool, _, _) = try client.open("pool", clientCapabilities: capabilities)
        let declared = try JSONParser.parse(try client.tool(own, "client_capabilities"))
        #expect(declared == capabilities)
        #expect(try client.tool(pool, "client_capabilities") == "{}")
        await harness.stop()
    }

    @Test func longLinesAndUnicodeLineSeparatorsPassIntact() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let long = String(repeating: "0123456789abcdef", count: 20_000)  // 320 KiB on one stdout line
        #expect(try client.tool(channel, "echo", ["text": .string(long)]) == long)
        let separators = "a\u{2028}b\u{2029}c\u{85}d"
        #expect(try client.tool(channel, "echo", ["text": .string(separators)]) == separators)
        await harness.stop()
    }

    @Test func progressNotificationsReachTheirChannelWithTheirToken() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up", era: "legacy") }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        try client.send(
            .request(
                channel: channel, id: RequestID(1), method: "tools/call",
                params: .object([
                    "name": "progress", "arguments": .object([:]), "_meta": .object(["progressToken": "mine"]),
                ])))
        var progress: [JSONValue] = []
        while true {
            let message = try client.receive()
            if case .notification(channel, "notifications/progress", let params) = message {
                progress.append(params?["progressToken"] ?? .null)
            }
            if case .response(channel, RequestID(1), _) = message { break }
        }
        #expect(progress == ["mine", "mine"])
        await harness.stop()
    }

    @Test func listChangedReachesEveryChannelInBothEras() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "old", era: "legacy")
            try BrokerHarness.addUpstream(vault, slug: "new", era: "modern")
        }
        try await harness.start()
        let client = try harness.client()
        for server in ["old", "new"] {
            let (channel, _, _) = try client.open(server)
            #expect(try client.tool(channel, "emit_list_changed") == "emitted")
            let method = try client.receive(timeout: 5) { message -> String? in
                if case .notification(channel, let method, _) = message { return method }
                return nil
            }
            #expect(method == "notifications/tools/list_changed", "\(server)")
        }
        await harness.stop()
    }
}

extension Outcome {
    var resultValue: JSONValue? {
        if case .result(let value) = self { return value }
        return nil
    }
}
