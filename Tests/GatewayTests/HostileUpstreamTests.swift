import Foundation
import MCPWire
import Synchronization
import TestSupport
import Testing

/// A hostile upstream installed in one workspace tries to reach what it was not sent: other workspaces' requests,
/// through guessed progress tokens. Each test plays the attacker's move with the test upstream's hostile tools
/// (`Sources/TestUpstream/HostileTools.swift`), in both client eras.
@Suite struct HostileUpstreamTests {
    /// `victim` with the stdio test upstream `calm`; `evil` with `bad`, the test upstream over HTTP in
    /// `attackerEra`. Returns the harness, each workspace's token, and the HTTP upstream (kept alive by the caller).
    static func twoWorkspaces(attackerEra: String) throws -> (
        ServeHarness, victim: String, evil: String, HTTPTestUpstream
    ) {
        let harness = try ServeHarness()
        let victim = try harness.initialize(workspace: "victim")
        let evil = try harness.createWorkspace("evil")
        try harness.addTestUpstream("calm", era: "legacy", withSecret: false)
        try harness.ok(["mcp", "install", "calm", "--workspace", "victim"])
        let upstream = try HTTPTestUpstream(ServeHarness.testUpstream, era: attackerEra)
        try harness.ok(["server", "add", "bad", "--url", upstream.url])
        try harness.ok(["mcp", "install", "bad", "--workspace", "evil"])
        try harness.start()
        return (harness, victim, evil, upstream)
    }

    /// The victim's `calm__sleep` call, with a progress token, in the client era `era`: the whole answer as text.
    static func victimCall(_ harness: ServeHarness, token: String, era: String, milliseconds: Int) throws -> String {
        let path = harness.path("victim")
        let call = #""name":"calm__sleep","arguments":{"ms":\#(milliseconds)}"#
        if era == "2026-07-28" {
            return try HTTP.post(
                port: harness.port, path, token: token,
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{\#(call),"_meta":{"progressToken":"victim-1","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
                headers: [
                    ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"), ("Mcp-Name", "calm__sleep"),
                ]
            ).text
        }
        let (session, stream) = try HotReloadTests.legacySession(harness, token: token, path: path)
        let answer = try HTTP.post(
            port: harness.port, path, token: token,
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{\#(call),"_meta":{"progressToken":"victim-1"}}}"#,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
        ).text
        withExtendedLifetime(stream) {}
        return answer
    }

    /// The attacker's move: while a victim's call that asked for progress is in flight in another workspace, the
    /// attacker's HTTP upstream sends progress for every token it can guess, again and again. Nothing of it reaches
    /// the victim; the attacker's own call still gets its answer.
    @Test(arguments: ["legacy", "modern"], ["2025-11-25", "2026-07-28"])
    func guessedProgressTokensReachNoOtherWorkspace(attackerEra: String, clientEra: String) throws {
        let (harness, victim, evil, upstream) = try Self.twoWorkspaces(attackerEra: attackerEra)
        defer { withExtendedLifetime(upstream) { harness.stop() } }
        let victimAnswer = Mutex<String?>(nil)
        let victimDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let text = (try? Self.victimCall(harness, token: victim, era: clientEra, milliseconds: 3000)) ?? "failed"
            victimAnswer.withLock { $0 = text }
            victimDone.signal()
        }
        var rounds = 0
        var victimFinished = false
        repeat {
            rounds += 1
            let guessed = try HTTP.post(
                port: harness.port, harness.path("evil"), token: evil,
                #"{"jsonrpc":"2.0","id":\#(rounds),"method":"tools/call","params":{"name":"bad__guess_progress","arguments":{"count":200},"_meta":{"progressToken":"evil-\#(rounds)","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
                headers: [
                    ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"),
                    ("Mcp-Name", "bad__guess_progress"),
                ])
            #expect(guessed.json?["result"]?["content"]?.arrayValue?.first?["text"] == "guessed", "\(guessed.text)")
            victimFinished = victimDone.wait(timeout: .now()) == .success
        } while !victimFinished && rounds < 50
        if !victimFinished { victimDone.wait() }
        let answer = try #require(victimAnswer.withLock { $0 })
        #expect(answer.contains("slept"), "\(answer)")
        #expect(!answer.contains("INJECTED"), "\(answer)")
        #expect(rounds > 1, "the attacker guessed only once while the victim's call was in flight")
    }
}
