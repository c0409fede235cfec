import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import TestSupport
import Testing
import Vault

/// HTTP upstreams: the test upstream serving Streamable HTTP on a loopback port, reached through the broker.
@Suite(.serialized)
struct HTTPUpstreamTests {
    static let token = "ghp_http-Secret-Token-77"

    func harness(_ server: HTTPTestUpstream, path: String = "/mcp") throws -> BrokerHarness {
        try BrokerHarness { vault in
            try vault.addServer(
                ServerDefinition(
                    slug: "web",
                    transport: .http(
                        url: "http://127.0.0.1:\(server.port)\(path)",
                        headers: [
                            .init(name: "Authorization", value: "Bearer ${API_TOKEN}"),
                            .init(name: "X-Plain", value: "yes"),
                        ])))
            try vault.install(server: "web", workspace: "eng")
            try vault.setSecret(
                server: "web", name: "API_TOKEN", value: SecretValue(unsafeFromString: Self.token), workspace: "eng")
        }
    }

    @Test(arguments: ["modern", "legacy"])
    func headersAreInjectedAndAnswersMasked(_ era: String) async throws {
        let server = try HTTPTestUpstream(BrokerHarness.upstream, era: era)
        let harness = try harness(server)
        try await harness.start()
        let client = try harness.client()
        let (channel, _, upstream) = try client.open("web")
        #expect(upstream.protocolVersion == (era == "modern" ? "2026-07-28" : "2025-11-25"))
        #expect(try client.tool(channel, "echo", ["text": "over http 1.0"]) == "over http 1.0")
        #expect(try client.tool(channel, "header_hash", ["name": "Authorization"]) == sha256("Bearer " + Self.token))
        #expect(try client.tool(channel, "header_hash", ["name": "X-Plain"]) == sha256("yes"))
        #expect(try client.tool(channel, "leak_header", ["name": "Authorization"]) == "Bearer [REDACTED:API_TOKEN]")
        let list = try client.call(channel, "tools/list")
        #expect(list.resultValue?["tools"]?.arrayValue?.isEmpty == false)
        #expect(list.resultValue?["resultType"] == nil)
        await harness.stop()
        #expect(!harness.logs.contains(Self.token))
    }

    @Test func aLegacyHTTPPlusSSEUpstreamWorksThroughItsStream() async throws {
        let server = try HTTPTestUpstream(BrokerHarness.upstream, era: "legacy")
        let harness = try harness(server, path: "/sse")
        try await harness.start()
        let client = try harness.client()
        let (channel, _, upstream) = try client.open("web")
        #expect(upstream.protocolVersion.hasPrefix("202"))
        #expect(upstream.protocolVersion != "2026-07-28")
        #expect(try client.tool(channel, "echo", ["text": "via sse"]) == "via sse")
        #expect(try client.tool(channel, "header_hash", ["name": "Authorization"]) == sha256("Bearer " + Self.token))
        #expect(try client.tool(channel, "leak_header", ["name": "Authorization"]) == "Bearer [REDACTED:API_TOKEN]")
        // Concurrent calls are matched to their answers on the one stream.
        for id in 1...5 {
            try client.send(
                .request(
                    channel: channel, id: RequestID(id), method: "tools/call",
                    params: .object(["name": "echo", "arguments": .object(["text": .string("n\(id)")])])))
        }
        var answers: [String: String] = [:]
        while answers.count < 5 {
            if case .response(channel, let id, .result(let result)) = try client.receive() {
                answers[id.description] = result["content"]?.arrayValue?.first?["text"]?.stringValue
            }
        }
        #expect(answers == ["1": "n1", "2": "n2", "3": "n3", "4": "n4", "5": "n5"])
        await harness.stop()
    }

    @Test func aSecretThatWouldBreakAHeaderLineIsRefused() async throws {
        let server = try HTTPTestUpstream(BrokerHarness.upstream, era: "dual")
        let harness = try harness(server)
        try harness.openVault().setSecret(
            server: "web", name: "API_TOKEN", value: SecretValue(unsafeFromString: "tok\r\nX-Evil: 1"), workspace: "eng"
        )
        try await harness.start()
        let client = try harness.client()
        try client.send(.open(ref: "r", workspace: "eng", server: "web", session: "s"))
        let message = try client.receive { answer -> String? in
            if case .failure("r", _, _, let message) = answer { return message }
            return nil
        }
        #expect(message.contains("line break") && !message.contains("X-Evil"))
        await harness.stop()
    }

    /// The injected headers go wherever the endpoint event points: one on another origin is refused.
    @Test func anSSEEndpointOnAnotherOriginIsRefused() async throws {
        let server = try HTTPTestUpstream(
            BrokerHarness.upstream, era: "legacy", extra: ["--sse-endpoint-prefix", "http://127.0.0.2:9"])
        let harness = try harness(server, path: "/sse")
        try await harness.start()
        let client = try harness.client()
        try client.send(.open(ref: "r", workspace: "eng", server: "web", session: "s"))
        // At once, not after the handshake timeout (30 s here).
        let answer = try client.receive(timeout: 15) { message -> BrokerMessage? in
            switch message {
            case .opened("r", _, _, _), .failure("r", _, _, _): return message
            default: return nil
            }
        }
        guard case .failure(_, _, .upstreamFailed, let message) = answer else {
            throw CLIFailure("opened: \(answer)")
        }
        #expect(message.contains("named an endpoint on another origin"))
        #expect(harness.logs.contains("named an endpoint on another origin; refused"))
        await harness.stop()
    }

    @Test func aChangedSecretIsUsedOnTheNextRequest() async throws {
        let server = try HTTPTestUpstream(BrokerHarness.upstream, era: "dual")
        let harness = try harness(server)
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("web")
        #expect(try client.tool(channel, "header_hash", ["name": "Authorization"]) == sha256("Bearer " + Self.token))
        try harness.openVault().setSecret(
            server: "web", name: "API_TOKEN", value: SecretValue(unsafeFromString: "rotated-token-value"),
            workspace: "eng")
        // Another change before any request: it must not announce the rotation again.
        try await Task.sleep(for: .milliseconds(400))
        _ = try harness.openVault().createWorkspaceToken(workspace: "eng", name: "unrelated", featureSets: [], ttl: nil)
        // The channel was told once that its lists may have changed: the new headers may reach other tools.
        var heard: [String] = []
        while let message = try? client.receive(timeout: 1.5) {
            if case .notification(channel, let method, _) = message { heard.append(method) }
        }
        #expect(
            heard.sorted() == [
                "notifications/prompts/list_changed", "notifications/resources/list_changed",
                "notifications/tools/list_changed",
            ])
        let rotated = try await eventually(within: 3) {
            try client.tool(channel, "header_hash", ["name": "Authorization"]) == sha256("Bearer rotated-token-value")
        }
        #expect(rotated)
        await harness.stop()
    }

    @Test func aLegacySessionsListChangesArriveOnItsStream() async throws {
        let server = try HTTPTestUpstream(BrokerHarness.upstream, era: "legacy")
        let harness = try harness(server)
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("web")
        // The GET stream opens just after the session: give it a moment, then make the server emit.
        var method: String?
        for _ in 0..<20 where method == nil {
            _ = try client.tool(channel, "emit_list_changed")
            method = try? client.receive(timeout: 0.5) { message -> String? in
                if case .notification(channel, let method, _) = message { return method }
                return nil
            }
        }
        #expect(method == "notifications/tools/list_changed")
        await harness.stop()
    }
}
