import Foundation
import MCPWire
import TestSupport
import Testing

/// Upstream log messages (`notifications/message`) reach the 2025-era session whose upstream sent them, masked, at
/// or above the level the session set, named after their server; no other session hears them.
@Suite struct LoggingTests {
    /// `eng` with server `up` (the test upstream over `transport`, 2025 era) holding `API_KEY`, served. The HTTP
    /// upstream gets the secret in its own environment, for its `log` tool to leak, and from the vault as a header:
    /// the broker masks what it injected.
    /// `leaking`: the upstream also puts the secret in its catalog (`LeakedCatalog`).
    static func served(transport: String, leaking: Bool = false) throws -> (ServeHarness, String, HTTPTestUpstream?) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        var http: HTTPTestUpstream?
        if transport == "http" {
            let upstream = try HTTPTestUpstream(
                ServeHarness.testUpstream, era: "legacy",
                environment: ["API_KEY": ServingTests.secret].merging(leaking ? ["LEAK_ENV": "API_KEY"] : [:]) { $1 })
            try harness.ok(["server", "add", "up", "--url", upstream.url, "--header", "X-Api-Key: ${API_KEY}"])
            http = upstream
        } else if leaking {
            try harness.ok([
                "server", "add", "up", "--command", ServeHarness.testUpstream, "--arg=--era", "--arg", "legacy",
                "--env", "API_KEY=${API_KEY}", "--env", "LEAK_ENV=API_KEY",
            ])
        } else {
            try harness.addTestUpstream("up", era: "legacy")
        }
        try harness.ok(["mcp", "install", "up", "--workspace", "eng"])
        try harness.ok(["secrets", "set", "up", "API_KEY", "--workspace", "eng"], stdin: ServingTests.secret)
        try harness.start()
        return (harness, token, http)
    }

    /// Posts one request of a 2025-era session and returns its answer.
    static func request(
        _ harness: ServeHarness, token: String, session: String, id: Int, _ method: String, _ params: String
    ) throws -> JSONValue? {
        try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")]
        ).json
    }

    /// Has `up`'s `log` tool log the value of `variable` at `level` in `session`.
    static func log(
        _ harness: ServeHarness, token: String, session: String, id: Int, level: String, variable: String
    ) throws {
        let answer = try request(
            harness, token: token, session: session, id: id, "tools/call",
            #"{"name":"up__log","arguments":{"level":"\#(level)","name":"\#(variable)"}}"#)
        #expect(
            answer?["result"]?["content"]?.arrayValue?.first?["text"] == "logged",
            "\(answer?.serializedString ?? "no answer")")
    }

    /// The next log message on `stream`, skipping other events.
    static func nextLog(_ stream: HTTP.Connection) throws -> JSONValue {
        while true {
            let event = try #require(try stream.nextEvent(timeout: 5), "the stream ended")
            if event["method"] == "notifications/message" { return try #require(event["params"]) }
        }
    }

    @Test(arguments: ["stdio", "http"])
    func aSessionHearsItsOwnUpstreamsLogsMaskedAtTheLevelItSet(_ transport: String) throws {
        let (harness, token, http) = try Self.served(transport: transport)
        defer { withExtendedLifetime(http) {} }
        let (a, streamA) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())
        let (b, streamB) = try HotReloadTests.legacySession(harness, token: token, path: harness.path())

        try Self.log(harness, token: token, session: a, id: 1, level: "warning", variable: "API_KEY")
        let first = try Self.nextLog(streamA)
        #expect(first["level"] == "warning")
        #expect(first["logger"] == "up/tools")
        #expect(first["data"] == "value of API_KEY: [REDACTED:API_KEY]", "\(first.serializedString)")
        #expect(!first.serializedString.contains(ServingTests.secret))

        // B's first log is its own: A's went to A alone.
        try Self.log(harness, token: token, session: b, id: 1, level: "info", variable: "B_ONLY")
        #expect(try Self.nextLog(streamB)["data"] == "value of B_ONLY: unset")

        let refused = try Self.request(
            harness, token: token, session: a, id: 2, "logging/setLevel", #"{"level":"loud"}"#)
        #expect(refused?["error"]?["code"] == -32602)
        let set = try Self.request(harness, token: token, session: a, id: 3, "logging/setLevel", #"{"level":"error"}"#)
        #expect(set?["result"] == .object([:]))
        try Self.log(harness, token: token, session: a, id: 4, level: "warning", variable: "BELOW")
        try Self.log(harness, token: token, session: a, id: 5, level: "critical", variable: "ABOVE")
        let kept = try Self.nextLog(streamA)
        #expect(kept["data"] == "value of ABOVE: unset" && kept["level"] == "critical", "\(kept.serializedString)")
    }

    @Test func anHTTPPlusSSESessionHearsLogsOnItsStream() throws {
        let (harness, token, _) = try Self.served(transport: "stdio")
        let stream = try HTTP.Connection(port: harness.port)
        try stream.send("GET", harness.path("eng", "sse"), headers: [("Authorization", "Bearer \(token)")], body: [])
        #expect(try stream.readHead(timeout: 5).0 == 200)
        let endpoint = try #require(try stream.nextEventData(timeout: 5))
        func post(_ body: String) throws {
            let answer = try HTTP.post(port: harness.port, endpoint, token: token, body)
            #expect(answer.status == 202)
        }
        try post(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        let initialized = try #require(try stream.nextEvent(timeout: 5))
        #expect(initialized["result"]?["capabilities"]?["logging"] == .object([:]))
        try post(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__log","arguments":{"level":"error","name":"API_KEY"}}}"#
        )
        // The log and the call's answer share the stream; either may come first.
        var log: JSONValue?
        var answered = false
        while log == nil || !answered {
            let event = try #require(try stream.nextEvent(timeout: 5), "the stream ended")
            if event["method"] == "notifications/message" { log = event["params"] }
            if event["id"] == 1 { answered = true }
        }
        #expect(log?["data"] == "value of API_KEY: [REDACTED:API_KEY]" && log?["logger"] == "up/tools")
    }

    @Test func theStreamableSessionsInitializeOffersLogging() throws {
        let (harness, token, _) = try Self.served(transport: "stdio")
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        #expect(initialize.json?["result"]?["capabilities"]?["logging"] == .object([:]))
        // The 2026-07-28 front does not relay logging (deprecated there), so discovery does not offer it.
        let discover = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "server/discover")
        #expect(discover.json?["result"]?["capabilities"]?["logging"] == nil)
    }
}
