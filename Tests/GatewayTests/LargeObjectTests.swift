import Foundation
import Gateway
import MCPWire
import Synchronization
import TestSupport
import Testing

/// A JSON object with hundreds of thousands of keys costs the gateway and the broker time linear in its size, and
/// holds up no one else: one workspace's largest body, all keys, is answered, and so is a hostile upstream's answer
/// of as many keys; another workspace's calls answer within a second all the while. (Looking keys up by a scan made
/// 100,000 keys freeze the gateway for 17 s, for every client; parsing and serializing on the event loops, which every
/// client shares, held the other workspace up for as long as the large call took, 4 to 14 s unoptimised.)
///
/// One at a time: each keeps a gateway, a broker and two upstreams busy for seconds, and together on two cores they
/// starve the timing tests running beside them.
@Suite(.serialized) struct LargeObjectTests {
    @Test(.timeLimit(.minutes(5)))
    func aBodyFullOfKeysDoesNotHoldUpAnotherWorkspace() async throws {
        let body = Self.bodyFullOfKeys(limit: GatewayConfiguration(brokerSocket: "").maximumBodySize)
        // Blocking sockets, on a thread of their own (`#expect` is used here, in the test's task, only).
        let (answer, slowest) = try await onItsOwnThread {
            let workspaces = try Workspaces(large: ServeHarness.echoUpstream)
            defer { workspaces.harness.stop() }
            return try workspaces.callWhileOthersCall(tool: "big__echo", body: body.text)
        }
        #expect(
            answer.json?["result"]?["content"]?.arrayValue?.first?["text"] == "large",
            "\(answer.status) \(answer.text.prefix(300))")
        print("large objects: a body of \(body.keys) keys in \(body.text.utf8.count) bytes;", slowest)
        slowest.check()
    }

    /// `streamed`: the client asks for progress, so the answer is an event stream, and the upstream's progress
    /// notification carries as many keys as its result, ahead of it.
    @Test(.timeLimit(.minutes(5)), arguments: [false, true])
    func anUpstreamsAnswerFullOfKeysDoesNotHoldUpAnotherWorkspace(streamed: Bool) async throws {
        let keys = 350_000  // about 4 MB
        let envelope =
            streamed
            ? HTTP.envelope.replacingOccurrences(of: #""_meta":{"#, with: #""_meta":{"progressToken":"p1","#)
            : HTTP.envelope
        let call =
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{\#(envelope),"name":"big__many_keys","arguments":{"count":\#(keys)}}}"#
        let (answer, slowest) = try await onItsOwnThread {
            let workspaces = try Workspaces(large: ServeHarness.testUpstream)
            defer { workspaces.harness.stop() }
            return try workspaces.callWhileOthersCall(tool: "big__many_keys", body: call)
        }
        let result = answer.json?["result"]
        #expect(result?["content"]?.arrayValue?.first?["text"] == "many", "\(answer.status) \(answer.text.prefix(300))")
        #expect(result?["structuredContent"]?.objectValue?.count == keys)
        if streamed {
            let events = answer.text.split(separator: "\n").filter { $0.hasPrefix("data: ") }
            #expect(events.count == 2)
            let progress = events.first.flatMap { try? JSONParser.parse(String($0.dropFirst(6))) }
            #expect(progress?["method"] == "notifications/progress")
            #expect(progress?["params"]?["keys"]?.objectValue?.count == keys)
        }
        print(
            "large objects: an answer of \(keys) keys in \(answer.body.count) bytes (streamed: \(streamed));", slowest)
        slowest.check()
    }

    /// An upstream that writes a large answer and exits at once: the answer, parsed off the loop, still reaches the
    /// client; the broker's "the upstream exited" does not overtake it.
    @Test(.timeLimit(.minutes(3)))
    func aLargeLastAnswerIsNotOvertakenByTheUpstreamsExit() async throws {
        let keys = 30_000  // about 340 KB: parsed off the loop
        let answer = try await onItsOwnThread {
            let harness = try ServeHarness()
            defer { harness.stop() }
            let token = try harness.initialize(workspace: "eng")
            try harness.ok(["server", "add", "big", "--command", ServeHarness.testUpstream])
            try harness.ok(["mcp", "install", "big", "--workspace", "eng"])
            try harness.start(extra: ["--log-level", "warning"])
            return try HTTP.modern(
                port: harness.port, harness.path("eng"), token: token, method: "tools/call",
                params: #""name":"big__many_keys","arguments":{"count":\#(keys),"then_exit":true}"#,
                name: "big__many_keys", timeout: 60)
        }
        #expect(
            answer.json?["result"]?["structuredContent"]?.objectValue?.count == keys,
            "\(answer.status) \(answer.text.prefix(300))")
    }

    /// Workspace `eng` with server `big` (the upstream at `large`), workspace `ops` with the echo upstream `calm`.
    struct Workspaces {
        let harness: ServeHarness
        let token: String
        let other: String

        init(large: String) throws {
            harness = try ServeHarness()
            token = try harness.initialize(workspace: "eng")
            other = try harness.createWorkspace("ops")
            // The echo upstream parses with MCPWire too: a large body crosses the gateway, the broker and it.
            for (server, command, workspace) in [("big", large, "eng"), ("calm", ServeHarness.echoUpstream, "ops")] {
                try harness.ok(["server", "add", server, "--command", command])
                try harness.ok(["mcp", "install", server, "--workspace", workspace])
            }
            try harness.start(extra: ["--log-level", "warning"])
        }

        /// One call of `ops`'s echo: whether it answered, and how long it took.
        func calm(_ n: Int) throws -> (answered: Bool, seconds: Double, text: String) {
            let sent = Date()
            let response = try HTTP.modern(
                port: harness.port, harness.path("ops"), token: other, id: n, method: "tools/call",
                params: #""name":"calm__echo","arguments":{"text":"calm \#(n)"}"#, name: "calm__echo", timeout: 60)
            let text = response.json?["result"]?["content"]?.arrayValue?.first?["text"]
            return (text == .string("calm \(n)"), Date().timeIntervalSince(sent), response.text)
        }

        /// Sends `body` (a 2026-07-28 call of `tool` in `eng`) and, until its answer has been read, calls `ops`'s
        /// echo one call after another: the answer, and the slowest of those calls.
        func callWhileOthersCall(tool: String, body: String) throws -> (HTTP.Response, Slowest) {
            var slowest = Slowest()
            // Both upstreams start with their first call.
            if !(try calm(0).answered) { slowest.failures.append("the first call of the other workspace failed") }
            let warm = try HTTP.modern(
                port: harness.port, harness.path("eng"), token: token, method: "tools/call",
                params: #""name":"\#(tool)","arguments":{"text":"warm","count":1}"#, name: tool, timeout: 60)
            if warm.status != 200 { slowest.failures.append("the warm-up call answered \(warm.status)") }

            let outcome = Outcome()
            let (port, path) = (harness.port, harness.path("eng"))
            let started = Date()
            let thread = Thread { [token] in
                let answer = Result {
                    let large = try HTTP.Connection(port: port)
                    try large.sendModernCall(path, token: token, tool: tool, body: body)
                    return try large.readResponse(timeout: 200)
                }
                outcome.answer.withLock { $0 = answer }
            }
            thread.start()
            while outcome.answer.withLock({ $0 == nil }) {
                slowest.calls += 1
                let (answered, seconds, text) = try calm(slowest.calls)
                if !answered { slowest.failures.append(String(text.prefix(300))) }
                slowest.seconds = max(slowest.seconds, seconds)
                // A client's pace: the calls are there to be timed, not to load the machine.
                Thread.sleep(forTimeInterval: 0.05)
            }
            slowest.largeCall = Date().timeIntervalSince(started)
            return (try outcome.answer.withLock { $0! }.get(), slowest)
        }
    }

    /// The large call's answer, from the thread that waits for it.
    final class Outcome: Sendable {
        let answer = Mutex<Result<HTTP.Response, any Error>?>(nil)
    }

    struct Slowest: CustomStringConvertible, Sendable {
        var calls = 0
        var seconds = 0.0
        var largeCall = 0.0
        /// The other workspace's calls that did not answer as they should have.
        var failures: [String] = []

        /// Every call of the other workspace answered, within a second, and there were enough to tell.
        func check(sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(failures.isEmpty, "\(failures)", sourceLocation: sourceLocation)
            #expect(calls >= 3, sourceLocation: sourceLocation)
            #expect(seconds < 1, sourceLocation: sourceLocation)
        }

        var description: String {
            "the large call took \(String(format: "%.2f", largeCall)) s; the other workspace's \(calls) calls meanwhile "
                + "took at most \(String(format: "%.3f", seconds)) s"
        }
    }

    /// A 2026-07-28 tools/call of `big__echo` whose arguments fill the body up to `limit` bytes with keys.
    static func bodyFullOfKeys(limit: Int) -> (text: String, keys: Int) {
        let head =
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{\#(HTTP.envelope),"name":"big__echo","arguments":{"text":"large""#
        let tail = "}}}"
        var text = head
        var keys = 0
        while true {
            let member = #","k\#(keys)":0"#
            guard text.utf8.count + member.utf8.count + tail.utf8.count <= limit else { break }
            text += member
            keys += 1
        }
        return (text + tail, keys)
    }
}
