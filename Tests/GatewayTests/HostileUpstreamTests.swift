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
        let (answer, rounds) = try Self.attack(while: {
            (try? Self.victimCall(harness, token: victim, era: clientEra, milliseconds: 3000)) ?? "failed"
        }) { rounds in
            let guessed = try HTTP.post(
                port: harness.port, harness.path("evil"), token: evil,
                #"{"jsonrpc":"2.0","id":\#(rounds),"method":"tools/call","params":{"name":"bad__guess_progress","arguments":{"count":200},"_meta":{"progressToken":"evil-\#(rounds)","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#,
                headers: [
                    ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/call"),
                    ("Mcp-Name", "bad__guess_progress"),
                ])
            #expect(guessed.json?["result"]?["content"]?.arrayValue?.first?["text"] == "guessed", "\(guessed.text)")
        }
        #expect(answer.contains("slept"), "\(answer)")
        #expect(!answer.contains("INJECTED"), "\(answer)")
        #expect(rounds > 1, "the attacker guessed only once while the victim's call was in flight")
    }

    /// Runs `victim` (a call that takes a few seconds) on a thread of its own and, until it has answered, `attack`
    /// round after round (given the round's number, from 1; at most 50): the victim's answer and the rounds made.
    static func attack(
        while victim: @escaping @Sendable () -> String, _ attack: (Int) throws -> Void
    ) throws -> (answer: String, rounds: Int) {
        let victimAnswer = Mutex<String?>(nil)
        let victimDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let answer = victim()
            victimAnswer.withLock { $0 = answer }
            victimDone.signal()
        }
        var rounds = 0
        var victimFinished = false
        repeat {
            rounds += 1
            try attack(rounds)
            victimFinished = victimDone.wait(timeout: .now()) == .success
        } while !victimFinished && rounds < 50
        if !victimFinished { victimDone.wait() }
        return (try #require(victimAnswer.withLock { $0 }), rounds)
    }

    /// `victim` with the stdio test upstream `calm`; `evil` with `bad`, the test upstream on `transport` (stdio, or
    /// HTTP in the legacy or the modern era). Returns the harness, each workspace's token, and the HTTP upstream if
    /// any (kept alive by the caller).
    static func twoWorkspaces(transport: String) throws -> (ServeHarness, victim: String, evil: String, AnyObject?) {
        guard transport == "stdio" else {
            let (harness, victim, evil, upstream) = try twoWorkspaces(attackerEra: transport)
            return (harness, victim, evil, upstream)
        }
        let harness = try ServeHarness()
        let victim = try harness.initialize(workspace: "victim")
        let evil = try harness.createWorkspace("evil")
        try harness.addTestUpstream("calm", era: "legacy", withSecret: false)
        try harness.ok(["mcp", "install", "calm", "--workspace", "victim"])
        try harness.addTestUpstream("bad", withSecret: false)
        try harness.ok(["mcp", "install", "bad", "--workspace", "evil"])
        try harness.start()
        return (harness, victim, evil, nil)
    }

    /// A 2026-07-28 call of one of `evil`'s hostile tools: the answer.
    static func attackerCall(
        _ harness: ServeHarness, token: String, id: Int, tool: String, arguments: String
    ) throws -> HTTP.Response {
        try HTTP.modern(
            port: harness.port, harness.path("evil"), token: token, id: id, method: "tools/call",
            params: #""name":"bad__\#(tool)","arguments":\#(arguments)"#, name: "bad__\(tool)", timeout: 60)
    }

    /// The attacker's move: while a victim's call is in flight in another workspace, and the victim holds a 2025-era
    /// session's stream open, the attacker's upstream answers ids it was never sent (every form: numbers, strings,
    /// the gateway's and the broker's prefixes), makes requests of its client and sends notifications, again and
    /// again. The victim's call gets its own answer and its stream nothing of it; the attacker's own call is answered
    /// under its own id.
    @Test(arguments: ["stdio", "legacy", "modern"])
    func answersAndRequestsOutOfTurnReachNoOtherClient(transport: String) throws {
        let (harness, victim, evil, upstream) = try Self.twoWorkspaces(transport: transport)
        defer { withExtendedLifetime(upstream) { harness.stop() } }
        let path = harness.path("victim")
        let (session, stream) = try HotReloadTests.legacySession(harness, token: victim, path: path)
        let (answer, rounds) = try Self.attack(while: {
            let answer = try? HTTP.post(
                port: harness.port, path, token: victim,
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"calm__sleep","arguments":{"ms":3000}}}"#,
                headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
            return answer?.text ?? "failed"
        }) { rounds in
            let guessed = try Self.attackerCall(
                harness, token: evil, id: rounds, tool: "guess_ids", arguments: #"{"count":50}"#)
            // Its own call may take one of its guesses as its answer, or end without one (it is that call's
            // upstream, and the id it was sent is easy to guess); what matters is that whatever comes back comes
            // under the attacker's own id.
            #expect(guessed.json?["result"] != nil || guessed.json?["error"] != nil, "\(guessed.text.prefix(300))")
            #expect(guessed.json?["id"] == .number("\(rounds)"))
        }
        #expect(answer.contains("slept"), "\(answer)")
        #expect(!answer.contains("INJECTED"), "\(answer)")
        // Something that must reach the victim's stream, behind whatever did: a server installed in its workspace.
        try harness.addTestUpstream("extra", withSecret: false)
        try harness.ok(["mcp", "install", "extra", "--workspace", "victim"])
        var events: [String] = []
        while let event = try? stream.nextEventData(timeout: 10) {
            events.append(event)
            if event.contains("notifications/tools/list_changed") { break }
        }
        #expect(events.last?.contains("notifications/tools/list_changed") == true, "\(events)")
        #expect(!events.joined().contains("INJECTED"), "\(events)")
        #expect(rounds > 1, "the attacker spoke out of turn only once while the victim's call was in flight")
    }

    /// The attacker's upstream sends JSON nested past the parsers' limit, then a line past the broker's: the first is
    /// dropped and the call still answered, the second stops that upstream (and fails only its own call), which is
    /// started again for the next call; the victim's calls are answered throughout.
    @Test func nestingAndOversizedLinesStopOnlyTheAttacker() throws {
        let (harness, victim, evil, _) = try Self.twoWorkspaces(transport: "stdio")
        defer { harness.stop() }
        func victimCall(_ n: Int) throws -> String {
            try HTTP.modern(
                port: harness.port, harness.path("victim"), token: victim, id: n, method: "tools/call",
                params: #""name":"calm__echo","arguments":{"text":"calm \#(n)"}"#, name: "calm__echo", timeout: 60
            ).text
        }
        let nested = try Self.attackerCall(
            harness, token: evil, id: 1, tool: "nest_deeply", arguments: #"{"depth":300}"#)
        #expect(nested.json?["result"]?["content"]?.arrayValue?.first?["text"] == "nested", "\(nested.text)")
        #expect(try victimCall(1).contains("calm 1"))
        let oversized = try Self.attackerCall(
            harness, token: evil, id: 2, tool: "oversized_line", arguments: #"{"megabytes":17}"#)
        #expect(oversized.json?["result"] == nil, "\(oversized.text.prefix(300))")
        #expect(!oversized.text.contains("xxxx"))
        #expect(try victimCall(2).contains("calm 2"))
        let again = try Self.attackerCall(harness, token: evil, id: 3, tool: "nest_deeply", arguments: #"{"depth":2}"#)
        #expect(again.json?["result"]?["content"]?.arrayValue?.first?["text"] == "nested", "\(again.text)")
    }
}
