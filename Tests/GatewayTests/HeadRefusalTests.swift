import Foundation
import MCPWire
import Testing

/// A client without a good token cannot make the gateway hold a request body: its request is refused on its head,
/// against the real gateway child.
@Suite struct HeadRefusalTests {
    static let limit = 4 << 20

    /// The head of a POST on `path` declaring a body of `length` bytes, with `token` (or no `Authorization`).
    static func head(_ path: String, token: String?, length: Int, extra: String = "") -> [UInt8] {
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return Array(
            ("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)Content-Type: application/json\r\n"
                + "Accept: application/json, text/event-stream\r\n\(extra)Content-Length: \(length)\r\n\r\n").utf8)
    }

    @Test func aBodyWithoutAGoodTokenIsRefusedOnItsHeadWithTheOne401() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.start()
        let path = harness.path()
        // Today's 401, to a whole request.
        let reference = try HTTP.modern(port: harness.port, path, token: nil, method: "tools/list")
        #expect(reference.status == 401)

        for bad in [nil, "mwt_" + String(repeating: "q", count: 43), "not-a-token"] {
            // The attacker's move: a head declaring a 4 MiB body, and no body. The answer comes before any of it.
            let connection = try HTTP.Connection(port: harness.port)
            try connection.write(Self.head(path, token: bad, length: Self.limit))
            let answer = try connection.readResponse(timeout: 10)
            #expect(answer.status == 401)
            #expect(answer.header("WWW-Authenticate") == reference.header("WWW-Authenticate"))
            #expect(answer.header("Content-Type") == reference.header("Content-Type"))
            #expect(answer.body == reference.body)
            #expect(answer.header("Connection")?.lowercased() == "close")  // the body was not read
            #expect(try connection.readToEnd(timeout: 10).isEmpty)
        }

        // A refused request sent whole is answered as before, and its connection stays usable.
        let kept = try HTTP.Connection(port: harness.port)
        let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#.utf8)
        let modern = "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\n"
        try kept.write(Self.head(path, token: "mwt_wrong0123456789", length: body.count, extra: modern) + body)
        let refused = try kept.readResponse(timeout: 10)
        #expect(refused.status == 401 && refused.body == reference.body && refused.header("Connection") == nil)
        try kept.write(Self.head(path, token: token, length: body.count, extra: modern) + body)
        #expect(try kept.readResponse(timeout: 10).status == 200)
    }

    /// Heads are bounded too: a client cannot make each of its connections hold NIO's default of 80 KiB of headers.
    @Test func aHeadOverTheLimitGets400AndTheConnectionCloses() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        try harness.start()
        let padding = String(repeating: "p", count: 40 << 10)
        let connection = try HTTP.Connection(port: harness.port)
        try connection.write(Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: \(padding)\r\n\r\n".utf8))
        #expect(try connection.readResponse(timeout: 10).status == 400)
        #expect(try connection.readToEnd(timeout: 10).isEmpty)
        let fits = String(repeating: "p", count: 16 << 10)
        let response = try HTTP.request(port: harness.port, "GET", "/healthz", headers: [("X-Pad", fits)])
        #expect(response.status == 200)
    }

    @Test func aClientThatExpectsContinueIsToldToSendItsBodyOnlyWithAGoodToken() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.start()
        let body = Array(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"#.utf8)
        let extra = "Expect: 100-continue\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/list\r\n"
        let connection = try HTTP.Connection(port: harness.port)
        try connection.write(Self.head(harness.path(), token: token, length: body.count, extra: extra))
        let (status, _) = try connection.readHead(timeout: 10)
        #expect(status == 100)
        try connection.write(body)
        #expect(try connection.readResponse(timeout: 10).status == 200)

        let refused = try HTTP.Connection(port: harness.port)
        try refused.write(Self.head(harness.path(), token: "mwt_wrong0123456789", length: body.count, extra: extra))
        #expect(try refused.readResponse(timeout: 10).status == 401)  // the final answer, no 100 first
    }

    /// 30 connections declare 4 MiB bodies without a good token; each is answered 401 on its head, and what they
    /// send anyway does not grow the gateway's memory (before, every body was held up to 4 MiB while it arrived).
    @Test(.timeLimit(.minutes(2))) func halfSentBodiesWithoutAGoodTokenDoNotGrowTheGatewaysMemory() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        try harness.start()
        let gateway = try harness.gatewayPID()
        let path = harness.path()
        let before = try residentBytes(gateway)
        var connections: [HTTP.Connection] = []
        for index in 0..<30 {
            let connection = try HTTP.Connection(port: harness.port)
            try connection.write(Self.head(path, token: index % 2 == 0 ? nil : "mwt_guess\(index)", length: Self.limit))
            connections.append(connection)
        }
        for connection in connections {
            #expect(try connection.readHead(timeout: 10).0 == 401)
        }
        // The attacker ignores the answers and sends 3 MiB of each body, and never the rest.
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
        for connection in connections {
            for _ in 0..<48 where connection.sendIgnoringErrors(chunk) {}
        }
        let after = try residentBytes(gateway)
        #expect(after - before < 16 << 20, "the gateway grew by \((after - before) >> 20) MiB")
        #expect(try HTTP.request(port: harness.port, "GET", "/healthz").status == 200)
    }
}

extension HTTP.Connection {
    /// Sends `bytes` as an attacker would, whatever the gateway does: false once the connection is closed or the
    /// send has waited 2 s.
    func sendIgnoringErrors(_ bytes: [UInt8]) -> Bool {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Whether the gateway has not closed the connection (what it sent meanwhile is left unread).
    var isOpen: Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count > 0 || (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    }
}
