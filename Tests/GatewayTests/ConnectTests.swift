import Foundation
import MCPWire
import Testing

/// `sealgate connect`: a stdio client reaches the workspace through the gateway, in both eras.
@Suite struct ConnectTests {
    @Test func aStdioClientUsesTheWorkspaceInBothEras() throws {
        let (harness, token) = try ServingTests.served()
        let legacy = [
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__env_hash","arguments":{"name":"API_KEY"}}}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"up__leak_env","arguments":{"name":"API_KEY"}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"ping"}"#,
        ]
        let modern =
            #"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{\#(HTTP.envelope)}}"#
        let result = try harness.run(
            ["connect", "eng", "--url", harness.url()], stdin: (legacy + [modern]).joined(separator: "\n") + "\n",
            env: ["SEALGATE_TOKEN": token])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = result.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        let byID = Dictionary(answers.compactMap { answer in answer["id"]?.intValue.map { ($0, answer) } }) { $1 }
        #expect(byID[0]?["result"]?["protocolVersion"] == "2025-11-25")
        #expect(
            byID[1]?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue == sha256Hex(ServingTests.secret))
        #expect(byID[2]?["result"]?["content"]?.arrayValue?.first?["text"] == "[REDACTED:API_KEY]")
        #expect(byID[3]?["result"] == .object([:]))
        #expect(byID[4]?["result"]?["resultType"] == "complete")
        #expect(!result.stdout.contains(ServingTests.secret))

        let refused = try harness.run(
            ["connect", "eng", "--url", harness.url()], stdin: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n",
            env: ["SEALGATE_TOKEN": "mwt_wrong"])
        #expect(refused.stdout.contains("HTTP 401"))
        let missing = try harness.run(["connect", "eng"], stdin: "")
        #expect(missing.status == 4 && missing.stderr.contains("SEALGATE_TOKEN"))
    }
}
