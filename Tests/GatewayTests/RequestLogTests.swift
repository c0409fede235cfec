import Foundation
import MCPWire
import Testing

/// One log line per request with an id; at the most verbose level a full run logs no secret, token or body.
@Suite struct RequestLogTests {
    @Test func everyRequestIsLoggedOnceAndNothingSecretIsLogged() throws {
        let (harness, token) = try ServingTests.served(extra: ["--log-level", "trace"])
        let marker = "body-marker-\(UUID().uuidString)"
        for (tool, arguments) in [
            ("up__echo", #"{"text":"\#(marker)"}"#), ("up__leak_env", #"{"name":"API_KEY"}"#),
            ("up__leak_stderr", #"{"name":"API_KEY"}"#), ("up__leak_env_error", #"{"name":"API_KEY"}"#),
        ] {
            let response = try HTTP.modern(
                port: harness.port, harness.path(), token: token, method: "tools/call",
                params: #""name":"\#(tool)","arguments":\#(arguments)"#, name: tool)
            #expect(response.status == 200)
        }
        let wrongToken = "mwt_" + String(repeating: "x", count: 43)
        #expect(
            try HTTP.modern(port: harness.port, harness.path(), token: wrongToken, method: "tools/list").status == 401)
        let legacy = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"\#(marker)","version":"1"}}}"#
        )
        #expect(legacy.status == 200)

        let deadline = Date().addingTimeInterval(5)
        var lines: [Substring] = []
        repeat {
            Thread.sleep(forTimeInterval: 0.2)
            lines = harness.logs.split(separator: "\n").filter {
                $0.contains("request=") && $0.contains("http=") && !$0.contains("/healthz")  // the harness polls it
            }
        } while lines.count < 6 && Date() < deadline
        #expect(lines.count == 6, "\(lines.joined(separator: "\n"))")
        let ids = lines.compactMap { $0.firstMatch(of: /request=([0-9a-f]+-\d+)/).map { String($0.1) } }
        #expect(Set(ids).count == 6, "request ids repeat: \(ids)")
        #expect(lines.contains { $0.contains("rpc=tools/call") && $0.contains("name=up__leak_env") })
        #expect(lines.contains { $0.contains("status=401") })
        #expect(lines.contains { $0.contains("rpc=initialize") && $0.contains("caller=workspace:default") })

        harness.stop()
        let logs = harness.logs
        #expect(logs.contains("[REDACTED:API_KEY]"), "the stderr leak is logged, masked")
        for (what, value) in [
            ("the secret", ServingTests.secret), ("a token", token), ("the refused token", wrongToken),
            ("a request body", marker), ("the secret in base64", Data(ServingTests.secret.utf8).base64EncodedString()),
        ] {
            #expect(!logs.contains(value), "the logs hold \(what)")
        }
    }
}
