import Testing

@testable import MCPWire

struct JSONRPCMessageTests {
    @Test func requestsNotificationsAndResponsesParseAndSerialize() throws {
        let request = #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"n":1.0}}}"#
        let parsed = try JSONRPCMessage.parse(Array(request.utf8))
        guard case .request(let id, let method, let params) = parsed else {
            Issue.record("not a request")
            return
        }
        #expect(id == .number("7") && method == "tools/call" && params?["arguments"]?["n"] == .number("1.0"))
        #expect(parsed.json.serializedString == request)

        let notification = try JSONRPCMessage.parse(
            Array(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8))
        #expect(notification == .notification(method: "notifications/initialized", params: nil))

        let result = try JSONRPCMessage.parse(Array(#"{"jsonrpc":"2.0","id":"a","result":{}}"#.utf8))
        #expect(result == .result(id: .string("a"), result: .object([:])))

        let error = try JSONRPCMessage.parse(
            Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#.utf8))
        #expect(error == .error(id: nil, JSONRPCError(code: -32700, message: "x")))
    }

    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":1,"method":"x"#, -32700),
        (#"[{"jsonrpc":"2.0","id":1,"method":"x"}]"#, -32600),
        (#"{"id":1,"method":"x"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":{},"method":"x"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1,"method":3}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1,"method":"x","params":"no"}"#, -32600),
        (#"{"jsonrpc":"2.0","id":1}"#, -32600),
        (#""hello""#, -32600),
    ])
    func malformedMessagesGetPreciseErrors(_ text: String, _ code: Int) {
        do {
            _ = try JSONRPCMessage.parse(Array(text.utf8))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code, "\(text): \(error.message)")
        }
    }
}
