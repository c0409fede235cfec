import Foundation
import Testing

/// `sealgate client-config` and `workspace token create --client-config` (issue 17): configs for Claude Code, VS Code
/// and Cursor, each in that client's own format, for the workspace's endpoint and the token.
struct ClientConfigTests {
    /// The JSON document that follows the heading starting with `heading` in `output`.
    static func document(after heading: String, in output: String) throws -> [String: Any] {
        let start = try #require(output.range(of: "\n" + heading)).upperBound
        let rest = output[start...].drop { $0 != "\n" }.dropFirst()
        let lines = rest.split(separator: "\n", omittingEmptySubsequences: false)
        let end = try #require(lines.firstIndex { $0 == "}" })
        let text = lines[...end].joined(separator: "\n")
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Checks the three configs in `output` for server `name` at `url`, and that `token` is in none of them: only in
    /// the line that exports it, which is printed apart (a project file or a command line would keep it: in a shared
    /// repository, in the shell's history, in `ps`).
    static func expectConfigs(
        _ output: String, name: String, url: String, token: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let exportLine = "\n  export SEALGATE_TOKEN=\(token)\n"
        #expect(output.contains(exportLine), "\(output)", sourceLocation: sourceLocation)
        let configs = try #require(output.range(of: "\nClaude Code (").map { output[$0.lowerBound...] })
        #expect(!configs.contains(token), "the token is in a config: \(configs)", sourceLocation: sourceLocation)
        #expect(
            configs.contains(
                "\n  claude mcp add --transport http \(name) \(url) --header \"Authorization: Bearer $SEALGATE_TOKEN\"\n"
            ),
            "\(output)", sourceLocation: sourceLocation)
        let vsCode = try document(after: "VS Code (.vscode/mcp.json", in: output)
        let server = (vsCode["servers"] as? [String: Any])?[name] as? [String: Any]
        #expect(server?["type"] as? String == "http", sourceLocation: sourceLocation)
        #expect(server?["url"] as? String == url, sourceLocation: sourceLocation)
        #expect(
            (server?["headers"] as? [String: String]) == ["Authorization": "Bearer ${input:sealgate-token}"],
            sourceLocation: sourceLocation)
        let inputs = try #require(vsCode["inputs"] as? [[String: Any]], sourceLocation: sourceLocation)
        #expect(inputs.count == 1 && inputs[0]["id"] as? String == "sealgate-token", sourceLocation: sourceLocation)
        #expect(inputs.first?["type"] as? String == "promptString", sourceLocation: sourceLocation)
        #expect(inputs.first?["password"] as? Bool == true, sourceLocation: sourceLocation)
        let cursor = try document(after: "Cursor (~/.cursor/mcp.json", in: output)
        let entry = (cursor["mcpServers"] as? [String: Any])?[name] as? [String: Any]
        #expect(entry?["url"] as? String == url && entry?["type"] == nil, sourceLocation: sourceLocation)
        #expect(
            (entry?["headers"] as? [String: String]) == ["Authorization": "Bearer ${env:SEALGATE_TOKEN}"],
            sourceLocation: sourceLocation)
    }

    @Test func clientConfigPrintsEachClientsFormatForTheWorkspaceEndpoint() throws {
        let cli = try SealgateCLI()  // no vault needed: it only writes text
        let token = "mwt_" + String(repeating: "A", count: 43)
        let given = try cli.run(
            ["client-config", "eng", "--url", "http://127.0.0.1:9000"], env: ["SEALGATE_TOKEN": token])
        #expect(given.status == 0 && given.stderr.isEmpty, "\(given.output)")
        try Self.expectConfigs(given.stdout, name: "eng", url: "http://127.0.0.1:9000/ws/eng/mcp", token: token)

        let named = try cli.ok(["client-config", "eng", "--name", "sealgate-eng"], env: ["SEALGATE_TOKEN": token])
        try Self.expectConfigs(named, name: "sealgate-eng", url: "http://127.0.0.1:8787/ws/eng/mcp", token: token)

        let placeholder = try cli.run(["client-config", "eng"])
        #expect(placeholder.status == 0)
        try Self.expectConfigs(
            placeholder.stdout, name: "eng", url: "http://127.0.0.1:8787/ws/eng/mcp", token: "<token of this workspace>"
        )
        #expect(placeholder.stderr.contains("warning: SEALGATE_TOKEN is not set"))
        #expect(placeholder.stderr.contains("sealgate workspace token create eng --name NAME --client-config"))

        // The URL is resolved as `connect` resolves it: a base, a base under a prefix, or part of the endpoint.
        for (given, endpoint) in [
            ("http://127.0.0.1:9000/ws/", "http://127.0.0.1:9000/ws/eng/mcp"),
            ("http://127.0.0.1:9000/ws/eng", "http://127.0.0.1:9000/ws/eng/mcp"),
            ("https://gw.example/sealgate", "https://gw.example/sealgate/ws/eng/mcp"),
        ] {
            let out = try cli.ok(["client-config", "eng", "--url", given], env: ["SEALGATE_TOKEN": token])
            try Self.expectConfigs(out, name: "eng", url: endpoint, token: token)
        }
        let other = try cli.fails(64, ["client-config", "eng", "--url", "http://127.0.0.1:9000/ws/ops/mcp"])
        #expect(other.contains("workspace 'ops', not 'eng'"))
    }

    @Test func aNewTokenCanBePrintedInEachClientsConfig() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        let out = try cli.ok([
            "workspace", "token", "create", "eng", "--name", "laptop", "--client-config", "--url",
            "http://127.0.0.1:9000/",
        ])
        let token = try #require(SealgateCLI.token(in: out))
        try Self.expectConfigs(out, name: "eng", url: "http://127.0.0.1:9000/ws/eng/mcp", token: token)
        #expect(out.hasSuffix("The token is shown only once: store it now.\n"))

        // A --url that cannot be used is refused before a token is made that nobody would see.
        try cli.fails(64, ["workspace", "token", "create", "eng", "--name", "lost", "--url", "ftp://x"])
        #expect(!(try cli.ok(["workspace", "token", "list", "eng", "--all"]).contains("lost")))
    }
}
