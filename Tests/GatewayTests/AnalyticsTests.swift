import Foundation
import MCPWire
import Testing

/// Tool calls through `serve` are counted by the gateway, stored by the broker, and read by `sealgate analytics`:
/// names, counts and latencies only.
@Suite struct AnalyticsTests {
    @Test func callsAreCountedPerToolAndPerCallerWithoutTheirArguments() throws {
        let (harness, token) = try ServingTests.served()
        let client = String(
            try #require(try harness.ok(["client", "create", "cursor"]).firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0)
        try harness.ok(["client", "grant", "cursor", "--workspace", "eng"])
        // The grant reaches the gateway with the next snapshot (within a second); lists are not counted.
        try eventually(within: 5) {
            try HTTP.modern(port: harness.port, harness.path(), token: client, method: "tools/list").status == 200
        }
        let marker = "argument-marker-\(UUID().uuidString)"
        func call(_ tool: String, _ arguments: String, as bearer: String) throws {
            let response = try HTTP.modern(
                port: harness.port, harness.path(), token: bearer, method: "tools/call",
                params: #""name":"\#(tool)","arguments":\#(arguments)"#, name: tool)
            #expect(response.status == 200, "\(response.text)")
        }
        for _ in 0..<3 { try call("up__echo", #"{"text":"\#(marker)"}"#, as: token) }
        try call("up__echo", #"{"text":"\#(marker)"}"#, as: client)
        try call("up__leak_env_error", #"{"name":"API_KEY"}"#, as: client)  // a JSON-RPC error from the tool
        try call("up__echo", #"{}"#, as: token)  // a tool error (isError): the text argument is missing
        // Refused and unknown names are not tools of anyone's: they are not counted.
        _ = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__nope","arguments":{}"#, name: "up__nope")

        var report: JSONValue = .null
        let deadline = Date().addingTimeInterval(10)
        repeat {
            Thread.sleep(forTimeInterval: 0.3)
            report = try JSONParser.parse(Array(try harness.ok(["analytics", "--json"]).utf8))
        } while report["tools"]?.arrayValue?.reduce(0, { $0 + ($1["calls"]?.intValue ?? 0) }) != 6
            && Date() < deadline

        let tools = try #require(report["tools"]?.arrayValue)
        let echo = try #require(tools.first { $0["tool"] == "echo" })
        #expect(echo["workspace"] == "eng" && echo["server"] == "up")
        #expect(echo["calls"] == 5 && echo["errors"] == 1)
        let p50 = try #require(number(echo["p50Ms"]))
        let p95 = try #require(number(echo["p95Ms"]))
        #expect(p50 > 0 && p95 >= p50)
        let failing = try #require(tools.first { $0["tool"] == "leak_env_error" })
        #expect(failing["calls"] == 1 && failing["errors"] == 1)
        #expect(tools.count == 2)
        let callers = try #require(report["callers"]?.arrayValue)
        #expect(callers.first { $0["caller"] == "workspace:default" }?["calls"] == 4)
        #expect(callers.first { $0["caller"] == "client:cursor" }?["calls"] == 2)

        let table = try harness.ok(["analytics", "--workspace", "eng", "--since", "1h"])
        #expect(table.contains("WORKSPACE") && table.contains("leak_env_error") && table.contains("client:cursor"))
        let unknown = try harness.run(["analytics", "--workspace", "nope"])
        #expect(unknown.status != 0 && unknown.stderr.contains("no workspace 'nope'"))

        // Names and counts only: no argument, token or secret in the output or the vault file.
        harness.stop()
        let vaultFiles = try FileManager.default.contentsOfDirectory(atPath: harness.home).filter {
            $0.hasPrefix("vault.db")
        }
        #expect(!vaultFiles.isEmpty)
        for file in vaultFiles {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.home + "/" + file))
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "\(file) holds a tool argument")
            #expect(bytes.range(of: Data(ServingTests.secret.utf8)) == nil, "\(file) holds the secret")
            #expect(bytes.range(of: Data(token.utf8)) == nil, "\(file) holds a token")
        }
    }
}

private func number(_ value: JSONValue?) -> Double? {
    guard case .number(let lexeme) = value else { return nil }
    return Double(lexeme)
}
