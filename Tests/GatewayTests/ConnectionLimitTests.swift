import Foundation
import Logging
import MCPWire
import Testing

@testable import Gateway

/// What a peer can hold without a token: connections over the caps are refused, heads that stall and connections
/// that idle are closed, and none of it cuts an answer that is legitimately waiting. Each test runs a gateway in
/// this process, with short limits, against the broker of a real `serve`. The gateway's tasks need this process's
/// cooperative threads, so the tests wait for the gateway without holding one (`within:` helpers).
@Suite struct ConnectionLimitTests {
    static let healthz = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)

    @Test(.timeLimit(.minutes(2))) func aStalledHeadIsClosedAfterTheHeadTimeout() async throws {
        let (harness, _) = try ServingTests.served()
        var limits = ConnectionLimits()
        limits.headTimeout = .seconds(1)
        let gateway = try await InProcessGateway.start(harness, limits: limits)
        defer { gateway.stop() }

        // The attacker's move: many connections, each with half a head (or nothing at all), kept open.
        var stalled: [HTTP.Connection] = []
        for index in 0..<100 {
            let connection = try HTTP.Connection(port: gateway.port)
            if index % 2 == 0 {
                try connection.write(Array("POST /ws/eng/mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor".utf8))
            }
            stalled.append(connection)
        }
        let started = ContinuousClock.now
        for connection in stalled {
            #expect(try await connection.closedWithoutAnswer(within: 20))
        }
        #expect(ContinuousClock.now - started < .seconds(15))
        let metrics = try await gateway.get("/metrics").text
        #expect(metrics.contains(#"sealgate_connections_timed_out_total{phase="head"} 100"#), "\(metrics)")

        // A head trickled a byte at a time after a first request on the connection is closed as well.
        let kept = try HTTP.Connection(port: gateway.port)
        try kept.write(Self.healthz)
        #expect(try await kept.response(within: 10).status == 200)
        let trickleStarted = ContinuousClock.now
        for byte in "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8 where kept.sendIgnoringErrors([byte]) {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(!kept.isOpen)
        #expect(ContinuousClock.now - trickleStarted < .seconds(9))  // the whole head would have taken 8 s
    }

    @Test(.timeLimit(.minutes(2))) func anIdleConnectionIsClosedButWaitingAnswersAndStreamsAreNot() async throws {
        let (harness, token) = try ServingTests.served()
        var limits = ConnectionLimits()
        limits.headTimeout = .seconds(1)
        limits.idleTimeout = .seconds(1)
        let gateway = try await InProcessGateway.start(harness, limits: limits)
        defer { gateway.stop() }
        let path = harness.path()

        let idle = try HTTP.Connection(port: gateway.port)
        try idle.write(Self.healthz)
        #expect(try await idle.response(within: 10).status == 200)

        // A call that takes 3 s, a listen stream and a 2025-era session's stream: all quiet for longer than both
        // timeouts.
        let call = try HTTP.Connection(port: gateway.port)
        try call.sendModernCall(
            path, token: token, tool: "up__sleep",
            body:
                #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"up__sleep","arguments":{"ms":3000},\#(HTTP.envelope)}}"#
        )
        let listen = try await gateway.listenStream(token: token, path: path)
        let legacy = try await gateway.legacyStream(token: token, path: path)

        #expect(try await idle.closedWithoutAnswer(within: 10))  // closed after its idle second
        let answer = try await call.response(within: 30)
        #expect(answer.status == 200 && answer.json?["id"] == 7 && answer.json?["error"] == nil, "\(answer.text)")
        #expect(listen.isOpen && legacy.isOpen)
        let metrics = try await gateway.get("/metrics").text
        // The idle connection, and the call's once answered if it has been idle for a second by now.
        #expect(metrics.contains(/sealgate_connections_timed_out_total\{phase="idle"\} [12]\n/), "\(metrics)")
        #expect(metrics.contains(#"sealgate_connections_timed_out_total{phase="head"} 0"#))

        // And they still carry events.
        try harness.addTestUpstream("late")
        try harness.ok(["mcp", "install", "late", "--workspace", "eng"])
        for stream in [listen, legacy] {
            var heard: [JSONValue?] = []
            while heard.last??["method"] != "notifications/tools/list_changed", heard.count < 10 {
                heard.append(try await stream.event(within: 20))
            }
            #expect(heard.last??["method"] == "notifications/tools/list_changed", "\(heard)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func pastThePerPeerCapANewConnectionIsRefusedWhileAnotherPeerIsServed() async throws
    {
        let (harness, _) = try ServingTests.served()
        var limits = ConnectionLimits()
        limits.maximumConnectionsPerPeer = 3
        limits.maximumConnections = 5
        let gateway = try await InProcessGateway.start(harness, limits: limits)
        defer { gateway.stop() }
        func healthz(_ connection: HTTP.Connection) async throws -> HTTP.Response {
            try connection.write(Self.healthz)
            return try await connection.response(within: 10)
        }

        var held: [HTTP.Connection] = []
        for _ in 0..<3 {
            let connection = try HTTP.Connection(port: gateway.port)
            #expect(try await healthz(connection).status == 200)
            held.append(connection)
        }
        // The attacker's fourth connection from 127.0.0.1.
        let fourth = try HTTP.Connection(port: gateway.port)
        let refused = try await healthz(fourth)
        #expect(refused.status == 503 && refused.header("Retry-After") == "1")
        #expect(try await fourth.closedWithoutAnswer(within: 10))

        // Another peer is served meanwhile, up to the total.
        let other = try HTTP.Connection(port: gateway.port, from: "127.0.0.2")
        #expect(try await healthz(other).status == 200)
        let third = try HTTP.Connection(port: gateway.port, from: "127.0.0.3")
        #expect(try await healthz(third).status == 200)
        let overTotal = try HTTP.Connection(port: gateway.port, from: "127.0.0.4")
        #expect(try await healthz(overTotal).status == 503)

        try other.write(Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        let metrics = try await other.response(within: 10).text
        #expect(metrics.contains(#"sealgate_connections_refused_total{limit="peer"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"sealgate_connections_refused_total{limit="total"} 1"#))
        #expect(metrics.contains("sealgate_connections_open 5"))

        // A closed connection frees its place.
        held.removeFirst()
        var served = false
        for _ in 0..<50 where !served {
            served = try await healthz(HTTP.Connection(port: gateway.port)).status == 200
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(served)
    }
}

/// A gateway run in the test process, with the limits a test chooses, against the broker of a running `serve`
/// (the broker serves any number of gateways).
final class InProcessGateway: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        (self.port, self.task) = (port, task)
    }

    static func start(_ harness: ServeHarness, limits: ConnectionLimits) async throws -> InProcessGateway {
        var configuration = GatewayConfiguration(brokerSocket: harness.home + "/broker.sock")
        configuration.port = 0
        configuration.connectionLimits = limits
        var logger = Logger(label: "in-process-gateway")
        logger.logLevel = .error
        let service = GatewayService(configuration: configuration, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await service.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw HarnessError("the gateway did not bind") }
        let gateway = InProcessGateway(port: port, task: task)
        for _ in 0..<600 {
            if (try? await gateway.get("/healthz"))?.status == 200 { return gateway }
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        throw HarnessError("the in-process gateway did not reach the broker")
    }

    func stop() {
        task.cancel()
    }

    /// `GET path` on a new connection.
    func get(_ path: String) async throws -> HTTP.Response {
        let connection = try HTTP.Connection(port: port)
        try connection.write(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        return try await connection.response(within: 20)
    }

    /// A 2026-07-28 `subscriptions/listen` stream, after its acknowledgement.
    func listenStream(token: String, path: String) async throws -> HTTP.Connection {
        let stream = try HTTP.Connection(port: port)
        let body =
            #"{"jsonrpc":"2.0","id":"listen-1","method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true},\#(HTTP.envelope)}}"#
        try stream.send(
            "POST", path,
            headers: [
                ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                ("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "subscriptions/listen"),
            ], body: Array(body.utf8))
        try await stream.readable(within: 20)
        #expect(try stream.readHead(timeout: 5).0 == 200)
        #expect(try await stream.event(within: 20)?["method"] == "notifications/subscriptions/acknowledged")
        return stream
    }

    /// A 2025-era session's GET stream.
    func legacyStream(token: String, path: String) async throws -> HTTP.Connection {
        let post = try HTTP.Connection(port: port)
        try post.send(
            "POST", path,
            headers: [
                ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                ("Accept", "application/json, text/event-stream"), ("Connection", "close"),
            ],
            body: Array(
                #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
                    .utf8))
        let session = try #require(try await post.response(within: 20).header("Mcp-Session-Id"))
        let stream = try HTTP.Connection(port: port)
        try stream.send(
            "GET", path,
            headers: [
                ("Authorization", "Bearer \(token)"), ("Accept", "text/event-stream"), ("Mcp-Session-Id", session),
            ],
            body: [])
        try await stream.readable(within: 20)
        #expect(try stream.readHead(timeout: 5).0 == 200)
        return stream
    }
}

extension HTTP.Connection {
    /// Waits, without holding a thread, until the gateway has sent something or closed the connection.
    func readable(within seconds: Double) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 0) > 0 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("the gateway sent nothing within \(seconds) s")
    }

    /// The next response, once it has started to arrive.
    func response(within seconds: Double) async throws -> HTTP.Response {
        try await readable(within: seconds)
        return try readResponse(timeout: 5)
    }

    /// The next server-sent event: from what was read already, or once more arrives. Waits without holding a
    /// thread, also past keep-alive comments.
    func event(within seconds: Double) async throws -> JSONValue? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            do {
                return try nextEvent(timeout: 0.05)
            } catch let error as HarnessError where error.description == "timed out reading" {
                // Nothing whole yet (or only a comment): wait for more without holding a thread.
            }
            let left = deadline - ContinuousClock.now
            try await readable(within: Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18)
        }
    }

    /// Whether the gateway closes the connection within `seconds` without sending anything.
    func closedWithoutAnswer(within seconds: Double) async throws -> Bool {
        try await readable(within: seconds)
        return try readToEnd(timeout: 5).isEmpty
    }
}
