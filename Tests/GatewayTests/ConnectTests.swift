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
        #expect(refused.stderr.contains("error: the gateway at \(harness.url()) refused the token (HTTP 401)"))
        let missing = try harness.run(["connect", "eng"], stdin: "")
        #expect(missing.status == 4 && missing.stderr.contains("SEALGATE_TOKEN"))
    }

    static let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n"

    /// Issue 17: `--url` takes the gateway's base URL (what `serve` prints), with or without a trailing slash, as
    /// well as the workspace's endpoint; the slug picks the workspace.
    @Test func aBaseURLReachesTheSlugsWorkspace() throws {
        let (harness, token) = try ServingTests.served()
        let base = "http://127.0.0.1:\(harness.port)"
        for url in [base, base + "/", harness.url(), harness.url() + "/"] {
            let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{\#(HTTP.envelope)}}"# + "\n"
            let result = try harness.run(["connect", "eng", "--url", url], stdin: list, env: ["SEALGATE_TOKEN": token])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(url): \(result.stdout) \(result.stderr)")
            let answer = try JSONParser.parse(result.stdout.trimmingCharacters(in: .newlines))
            #expect(answer["result"]?["resultType"] == "complete", "\(url): \(result.stdout)")
        }
        // A URL naming another workspace is refused before anything is sent, with what to run instead.
        let other = try harness.run(
            ["connect", "eng", "--url", base + "/ws/ops/mcp"], stdin: Self.ping, env: ["SEALGATE_TOKEN": token])
        #expect(other.status == 64 && other.stdout.isEmpty)
        #expect(other.stderr.contains("workspace 'ops', not 'eng'") && other.stderr.contains("sealgate connect ops"))
    }

    /// A 401 or 404 is told on stderr, once, in words that say what to fix; the client still gets a JSON-RPC error.
    @Test func refusalsAreToldOnStderrWithWhatToFix() throws {
        let (harness, token) = try ServingTests.served()
        let base = "http://127.0.0.1:\(harness.port)"
        let twice = Self.ping + #"{"jsonrpc":"2.0","id":2,"method":"ping"}"# + "\n"

        let wrongSlug = try harness.run(
            ["connect", "nope", "--url", base], stdin: twice, env: ["SEALGATE_TOKEN": token])
        #expect(wrongSlug.status == 0)
        #expect(wrongSlug.stderr.contains("(HTTP 401)") && wrongSlug.stderr.contains("workspace 'nope' does not exist"))
        #expect(wrongSlug.stderr.contains("sealgate workspace list"))
        #expect(wrongSlug.stderr.split(separator: "\n").filter { $0.hasPrefix("error: ") }.count == 1)  // told once
        let answers = wrongSlug.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(
            answers.count == 2 && answers.allSatisfy { $0["error"]?["message"]?.stringValue?.contains("401") == true })

        try harness.ok(["workspace", "token", "create", "eng", "--name", "ci"])
        try harness.ok(["workspace", "token", "revoke", "eng", "default"])
        let deadline = Date().addingTimeInterval(5)  // the revocation reaches the gateway within a second
        while try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list").status != 401 {
            try #require(Date() < deadline, "the revocation never reached the gateway")
            usleep(50_000)
        }
        let revoked = try harness.run(
            ["connect", "eng", "--url", base], stdin: Self.ping, env: ["SEALGATE_TOKEN": token])
        #expect(revoked.stderr.contains("was revoked or has expired"), "\(revoked.stderr)")
        #expect(revoked.stderr.contains("sealgate workspace token create eng --name NAME"))

        // A base URL under a prefix the gateway does not serve; the password in it is not shown.
        let withPassword = base.replacingOccurrences(of: "http://", with: "http://alice:s3cret@")
        let noEndpoint = try harness.run(
            ["connect", "eng", "--url", withPassword + "/gateway"], stdin: Self.ping, env: ["SEALGATE_TOKEN": token])
        #expect(noEndpoint.stderr.contains("has no MCP endpoint at \(base)/gateway/ws/eng/mcp (HTTP 404)"))
        #expect(noEndpoint.stderr.contains("pass its base URL"))
        #expect(!(noEndpoint.stdout + noEndpoint.stderr).contains("s3cret"), "\(noEndpoint.stderr)")

        // The HTTP client retries a refused connection until its 10 s connect timeout, so this one takes that long.
        let closed = try harness.run(
            ["connect", "eng", "--url", "http://127.0.0.1:1"], stdin: Self.ping, env: ["SEALGATE_TOKEN": token])
        #expect(closed.stderr.contains("cannot reach the gateway at http://127.0.0.1:1/ws/eng/mcp"))
        #expect(closed.stderr.contains("is `sealgate serve` running"))
    }
}
