import Foundation
import NIOHTTP1
import Testing

@testable import Gateway

/// DNS rebinding: a page whose own name now resolves to this machine is refused by its `Host`, on every endpoint,
/// whether or not the browser sends `Origin`.
@Suite struct HostCheckTests {
    /// DNS rebinding: a page of `rebind.example` that the browser now sends to 127.0.0.1 names its own host.
    @Test func onlyLoopbackNamesAndTheListenAddressAreServedAsHost() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.start()
        func metrics(host: String?) throws -> Int {
            let connection = try HTTP.Connection(port: harness.port)
            let line = host.map { "Host: \($0)\r\n" } ?? ""
            try connection.write(Array("GET /metrics HTTP/1.1\r\n\(line)Connection: close\r\n\r\n".utf8))
            return try connection.readResponse(timeout: 10).status
        }
        for host in [
            "rebind.example", "rebind.example:\(harness.port)", "localhost.rebind.example", "127.0.0.1.nip.io",
        ] {
            #expect(try metrics(host: host) == 403, "\(host)")
        }
        for host in ["127.0.0.1:\(harness.port)", "localhost:\(harness.port)", "LOCALHOST", "127.3.2.1", "[::1]:80"] {
            #expect(try metrics(host: host) == 200, "\(host)")
        }
        #expect(try metrics(host: nil) == 400)  // HTTP/1.1 without Host

        // The MCP endpoints too, even with a good token.
        let served = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        #expect(served.status == 200)
        let refused = try HTTP.request(
            port: harness.port, "POST", harness.path(),
            headers: [
                ("Host", "rebind.example:\(harness.port)"), ("Authorization", "Bearer \(token)"),
                ("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream"),
                ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list"),
            ],
            body: Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#.utf8))
        #expect(refused.status == 403)
        let stream = try HTTP.request(
            port: harness.port, "GET", harness.path(),
            headers: [
                ("Host", "rebind.example"), ("Authorization", "Bearer \(token)"), ("Accept", "text/event-stream"),
            ])
        #expect(stream.status == 403)
    }

    @Test(arguments: [
        ("localhost", "127.0.0.1", true), ("localhost:8787", "127.0.0.1", true), ("127.0.0.1:1", "127.0.0.1", true),
        ("127.255.0.9", "127.0.0.1", true), ("[::1]:8787", "127.0.0.1", true), ("[::1]", "127.0.0.1", true),
        ("192.168.1.5:8787", "192.168.1.5", true), ("192.168.1.5", "127.0.0.1", false),
        ("10.0.0.1:8787", "0.0.0.0", true), ("[fe80::1]:8787", "::", true), ("evil.example", "0.0.0.0", false),
        ("evil.example:8787", "127.0.0.1", false), ("localhost.evil.example", "127.0.0.1", false),
        ("gateway.lan:8787", "0.0.0.0", false), ("127.0.0.1:80x", "127.0.0.1", false), ("[::1", "127.0.0.1", false),
        (":8787", "127.0.0.1", false), ("127.0.0.1.nip.io", "127.0.0.1", false),
    ])
    func theHostCheck(host: String, listen: String, served: Bool) {
        let request = HTTPRequest(
            head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/metrics", headers: ["Host": host]),
            body: .init(), peer: "127.0.0.1")
        #expect((HostCheck(listenHost: listen).refusal(request) == nil) == served)
    }

    @Test func aConfiguredNameIsServedAndAMissingOrRepeatedHostIsMalformed() {
        func request(_ headers: HTTPHeaders, version: HTTPVersion = .http1_1) -> HTTPRequest {
            HTTPRequest(
                head: HTTPRequestHead(version: version, method: .GET, uri: "/", headers: headers), body: .init(),
                peer: "127.0.0.1")
        }
        let check = HostCheck(listenHost: "0.0.0.0", names: ["Gateway.LAN"])
        #expect(check.refusal(request(["Host": "gateway.lan:8787"])) == nil)
        #expect(check.refusal(request(HTTPHeaders())) == .malformed)
        #expect(check.refusal(request(HTTPHeaders(), version: .http1_0)) == nil)
        #expect(check.refusal(request(HTTPHeaders([("Host", "localhost"), ("Host", "evil.example")]))) == .malformed)
    }
}
