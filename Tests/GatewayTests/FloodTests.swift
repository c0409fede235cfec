import Foundation
import MCPWire
import Testing

/// Upstreams that flood or never answer: the broker and the gateway keep their memory bounded, and calls to the
/// other servers go on.
@Suite struct FloodTests {
    @Test func floodingAndSilentUpstreamsLeaveMemoryBoundedAndOtherServersServed() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        // One server per misbehaviour (stateless calls to one server share its process), and one that behaves.
        let servers = ["flood", "progress", "liner", "noisy", "silent", "calm"]
        for server in servers { try harness.addTestUpstream(server) }
        for server in servers {
            try harness.ok(["mcp", "install", server, "--workspace", "eng"])
            try harness.ok(["secrets", "set", server, "API_KEY", "--workspace", "eng"], stdin: "k")
        }
        try harness.start(extra: ["--log-level", "warning"])
        // The silent call's thread holds the harness past the test: stop serve when the test ends, not on release.
        defer { harness.stop() }
        let path = harness.path()
        @Sendable func call(
            _ tool: String, _ arguments: String, id: Int = 1, session: String? = nil, timeout: Double = 60
        )
            throws -> HTTP.Response
        {
            guard let session else {
                return try HTTP.modern(
                    port: harness.port, path, token: token, id: id, method: "tools/call",
                    params: #""name":"\#(tool)","arguments":\#(arguments)"#, name: tool, timeout: timeout)
            }
            return try HTTP.post(
                port: harness.port, path, token: token,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#,
                headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")], timeout: timeout)
        }
        func echoes(_ text: String, id: Int) -> Bool {
            (try? call("calm__echo", #"{"text":"\#(text)"}"#, id: id, timeout: 10))?.json?["result"]?["content"]?
                .arrayValue?
                .first?["text"] == .string(text)
        }
        // A 2025-era session whose GET stream is open and never read: notifications for it pile up in the gateway.
        let (session, unread) = try HotReloadTests.legacySession(harness, token: token, path: path)
        #expect(echoes("warm", id: 1))
        #expect(try call("flood__echo", #"{"text":"warm"}"#, session: session).status == 200)

        let serve = try #require(harness.servePID)
        let gateway = try harness.gatewayPID()
        let before = (serve: try residentBytes(serve), gateway: try residentBytes(gateway))
        let peak = Peak()
        let sampler = Thread {
            while !peak.stopped {
                if let broker = try? residentBytes(serve), let front = try? residentBytes(gateway) {
                    peak.note(broker: broker, gateway: front)
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        sampler.start()

        let floods = DispatchGroup()
        let outcomes = Outcomes()
        let started = Date()
        for (name, tool, arguments, inSession) in [
            ("notifications", "flood__flood", #"{"kind":"notifications","mb":32}"#, true),
            ("line", "liner__flood", #"{"kind":"line","mb":64}"#, false),
            ("stderr", "noisy__flood", #"{"kind":"stderr","mb":8}"#, false),
        ] {
            DispatchQueue.global().async(group: floods) {
                let response = try? call(tool, arguments, id: 7, session: inSession ? session : nil, timeout: 120)
                outcomes.set(name, response)
            }
        }
        // A 2026-07-28 call that asks for progress and never reads its response stream: 32 MiB of progress for it
        // pile up in the gateway until the stream is ended.
        let unreadProgress = try HTTP.Connection(port: harness.port)
        try unreadProgress.sendModernCall(
            path, token: token, tool: "progress__flood",
            body:
                #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"progress__flood","arguments":{"kind":"progress","mb":32},"_meta":{"progressToken":"p9","io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
        )
        // A server that never answers (its call waits out the whole test: the request timeout is 60 s).
        DispatchQueue.global().async {
            outcomes.set("silent", try? call("silent__sleep", #"{"ms":600000}"#, id: 8, timeout: 300))
        }
        // Meanwhile the other server answers every call, promptly.
        var slowest = 0.0
        var n = 100
        while floods.wait(timeout: .now() + 0.05) == .timedOut && Date().timeIntervalSince(started) < 90 {
            n += 1
            let sent = Date()
            #expect(echoes("calm \(n)", id: n))
            slowest = max(slowest, Date().timeIntervalSince(sent))
        }
        peak.stop()
        for name in ["notifications", "line", "stderr", "silent"] {
            print(name, outcomes.get(name)?.status ?? -1, outcomes.get(name)?.text.prefix(300) ?? "")
        }
        print(
            "flood: \(Date().timeIntervalSince(started)) s; \(n - 100) calls to the calm server, slowest \(slowest) s;",
            "serve RSS \(before.serve >> 20) -> peak \(peak.broker >> 20) MiB; gateway \(before.gateway >> 20) -> peak",
            "\(peak.gateway >> 20) MiB")
        #expect(n > 101)
        #expect(slowest < 5)
        // The floods ended as they should: the notifications call answered, the endless line killed its process,
        // and stderr went to the log; the silent call is still waiting.
        #expect(
            outcomes.get("notifications")?.json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?
                .hasPrefix("flooded")
                == true)
        #expect(outcomes.get("line")?.json?["error"] != nil)
        #expect(outcomes.get("stderr")?.json?["result"] != nil)
        #expect(outcomes.get("silent") == nil)
        // 104 MiB went through; neither process kept more than the 16 MiB line limit and its parsing.
        #expect(peak.broker - before.serve < 48 << 20)
        #expect(peak.gateway - before.gateway < 32 << 20)
        #expect(echoes("after", id: 1))
        // Both unread streams were ended by the gateway, and counted: the progress stream, and the 2025-era
        // session's GET stream, which its upstream's log messages filled.
        let ended = #"sealgate_event_streams_ended_total{reason="slow_reader"} 2"#
        var metrics = ""
        for _ in 0..<150 where !metrics.contains(ended) {
            metrics = try HTTP.request(port: harness.port, "GET", "/metrics").text
            if !metrics.contains(ended) { usleep(200_000) }
        }
        #expect(metrics.contains(ended), "\(metrics)")
        withExtendedLifetime((unread, unreadProgress)) {}  // the unread streams stay open to the end
    }
}

/// A process's resident set size, from /proc.
func residentBytes(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { throw HarnessError("no VmRSS for \(pid)") }
    return kib << 10
}

private final class Peak: @unchecked Sendable {
    // Guarded by `lock`.
    private var values = (broker: 0, gateway: 0, stopped: false)
    private let lock = NSLock()

    func note(broker: Int, gateway: Int) {
        lock.withLock { values = (max(values.broker, broker), max(values.gateway, gateway), values.stopped) }
    }
    func stop() { lock.withLock { values.stopped = true } }
    var stopped: Bool { lock.withLock { values.stopped } }
    var broker: Int { lock.withLock { values.broker } }
    var gateway: Int { lock.withLock { values.gateway } }
}

private final class Outcomes: @unchecked Sendable {
    // Guarded by `lock`.
    private var responses: [String: HTTP.Response] = [:]
    private let lock = NSLock()

    func set(_ name: String, _ response: HTTP.Response?) { lock.withLock { responses[name] = response } }
    func get(_ name: String) -> HTTP.Response? { lock.withLock { responses[name] } }
}
