import Foundation
import Logging
import MCPWire
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing

@testable import Gateway

/// The gateway writes its own HTTP/1.1 responses: these check the framing a client relies on (order of pipelined
/// answers, HEAD, HTTP/1.0, a request that is not HTTP) against the running gateway, and the encoder's refusals
/// without one.
@Suite struct HTTPFramingTests {
    @Test func pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws {
        let (harness, token) = try ServingTests.served()
        let connection = try HTTP.Connection(port: harness.port)
        func request(id: Int, tool: String, arguments: String) -> [UInt8] {
            let body = Array(
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"up__\#(tool)","arguments":\#(arguments),\#(HTTP.envelope)}}"#
                    .utf8)
            let head =
                "POST \(harness.path()) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                + "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: up__\(tool)\r\n"
                + "Content-Length: \(body.count)\r\n\r\n"
            return Array(head.utf8) + body
        }
        func echo(id: Int, _ text: String) -> [UInt8] {
            request(id: id, tool: "echo", arguments: #"{"text":"\#(text)"}"#)
        }
        // Three requests in one write, the first slow: the answers still come back in the order asked, each whole.
        try connection.write(
            request(id: 1, tool: "sleep", arguments: #"{"ms":300}"#) + echo(id: 2, "call 2") + echo(id: 3, "call 3"))
        for id in 1...3 {
            let answer = try connection.readResponse(timeout: 30)
            #expect(answer.status == 200)
            #expect(answer.json?["id"] == JSONValue(id))
            if id > 1 { #expect(answer.text.contains("call \(id)")) }
        }
        // The connection reads again after the waiting requests were answered.
        try connection.write(echo(id: 4, "after"))
        let after = try connection.readResponse(timeout: 30)
        #expect(after.json?["id"] == 4 && after.text.contains("after"))
    }

    @Test func aHeadAnswerHasNoBodyAndTheConnectionStaysUsable() throws {
        let (harness, _) = try ServingTests.served()
        let connection = try HTTP.Connection(port: harness.port)
        try connection.send("HEAD", "/healthz", headers: [], body: [])
        let head = try connection.readHead(timeout: 30)
        #expect(head.0 == 200)
        let length = head.1.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) }
        #expect((length ?? 0) > 0)  // what a GET would send, counted but not sent
        // Had the body been sent, this answer would be read from the middle of it.
        try connection.send("GET", "/healthz", headers: [], body: [])
        let get = try connection.readResponse(timeout: 30)
        #expect(get.status == 200 && get.body.count == length)
    }

    @Test func anHTTP10ClientGetsAnHTTP10AnswerAndTheConnectionCloses() throws {
        let (harness, _) = try ServingTests.served()
        let connection = try HTTP.Connection(port: harness.port)
        try connection.write(Array("GET /healthz HTTP/1.0\r\n\r\n".utf8))
        let answer = try connection.readResponse(timeout: 30)
        #expect(answer.status == 200 && !answer.body.isEmpty)
        #expect(answer.header("Connection")?.lowercased() == "close")
        #expect(try connection.readToEnd(timeout: 30).isEmpty)  // closed by the gateway
    }

    @Test func aRequestThatIsNotHTTPGets400AndTheGatewayStaysUp() throws {
        let (harness, token) = try ServingTests.served()
        let connection = try HTTP.Connection(port: harness.port)
        try connection.write(Array("NOT HTTP AT ALL\r\n\u{1}\u{2}\r\n\r\n".utf8))
        let answer = try connection.readResponse(timeout: 30)
        #expect(answer.status == 400)
        #expect(answer.header("Connection")?.lowercased() == "close")
        #expect(try connection.readToEnd(timeout: 30).isEmpty)
        #expect(try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list").status == 200)
    }

    /// Three pipelined requests: when the first is answered, the second starts and is answered at once, on the
    /// same stack as the third's start. When the client then leaves, the third (and its upstream call) is the one
    /// cancelled, not the second, already answered.
    @Test(.timeLimit(.minutes(1))) func aClientThatLeavesCancelsThePipelinedRequestBeingAnswered() async throws {
        let cancelled = Mutex(false)
        let channel = NIOAsyncTestingChannel()
        let respond: HTTPServer.Responder = { request in
            switch request.path {
            case "/first":
                try? await Task.sleep(for: .milliseconds(100))
            case "/at-once":
                break
            default:
                await withTaskCancellationHandler {
                    try? await Task.sleep(for: .seconds(120))
                } onCancel: {
                    cancelled.withLock { $0 = true }
                }
            }
            return .text(.ok, "\(request.path)\n")
        }
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try channel.pipeline.syncOperations.addHandler(
                ExchangeHandler(
                    respond: respond, peer: "test", maximumBodySize: 1024, logger: Logger(label: "test"),
                    onSlowReader: {}))
        }.get()
        let requests = ["/first", "/at-once", "/last"].map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }
        try await channel.writeInbound(ByteBuffer(string: requests.joined()))
        for path in ["/first", "/at-once"] {
            let answer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            #expect(String(buffer: answer).hasSuffix("\r\n\r\n\(path)\n"))
        }
        try await channel.close()
        #expect(cancelled.withLock { $0 })
    }

    @Test func theEncoderRefusesHeadersThatWouldSplitTheResponse() throws {
        let ok = ResponseEncoding.full(
            status: .ok, headers: ["X-Fine": "a\tb"], body: Array("hi".utf8), version: .http1_1, keepAlive: true,
            omitBody: false)
        #expect(ok.map { String(buffer: $0) } == "HTTP/1.1 200 OK\r\nX-Fine: a\tb\r\nContent-Length: 2\r\n\r\nhi")
        for headers: HTTPHeaders in [["X-Bad": "a\r\nSet-Cookie: x"], ["X-Bad": "a\nb"], ["Bad Name": "v"], ["": "v"]] {
            #expect(
                ResponseEncoding.full(
                    status: .ok, headers: headers, body: [], version: .http1_1, keepAlive: true, omitBody: false)
                    == nil)
        }
        // Framing headers are the encoder's own, whatever an endpoint put in.
        let framed = ResponseEncoding.full(
            status: .ok, headers: ["Content-Length": "99", "Connection": "upgrade"], body: [], version: .http1_1,
            keepAlive: false, omitBody: false)
        #expect(
            framed.map { String(buffer: $0) } == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        // A stream's head says how its body ends: the last chunk, or (HTTP/1.0) the connection closing.
        let streams = [(HTTPVersion.http1_1, true), (.http1_1, false), (.http1_0, true)].map {
            ResponseEncoding.streamHead(headers: [:], version: $0.0, keepAlive: $0.1).map { String(buffer: $0) }
        }
        #expect(
            streams == [
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                "HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n",
            ])
        #expect(String(buffer: ResponseEncoding.chunk("événement", version: .http1_1)) == "b\r\névénement\r\n")
        #expect(String(buffer: ResponseEncoding.chunk("raw", version: .http1_0)) == "raw")
    }
}
