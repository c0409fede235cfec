import Foundation
import Testing

/// What `connect` (and `client-config`) take as `--url`, played by a user who passes the wrong thing: the gateway's
/// base URL or SLUG's own endpoint only, never an endpoint that would silently ignore SLUG; a password in the URL
/// never shown; a token about to cross the network unencrypted warned of.
struct ConnectURLTests {
    static let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"# + "\n"
    static let token = ["SEALGATE_TOKEN": "mwt_" + String(repeating: "A", count: 43)]

    /// An endpoint that is not `/ws/SLUG/mcp` would have been posted to as it was, SLUG ignored: `/active/mcp` serves
    /// whichever workspace is active. Each is refused before anything is sent, naming the URLs to use instead.
    @Test(arguments: [
        ("http://127.0.0.1:9/active/mcp", "http://127.0.0.1:9"),
        ("http://127.0.0.1:9/active", "http://127.0.0.1:9"),
        ("http://127.0.0.1:9/gateway/mcp", "http://127.0.0.1:9/gateway"),
        ("https://gw.example/sealgate/mcp/", "https://gw.example/sealgate"),
        ("http://127.0.0.1:9/sse", "http://127.0.0.1:9"),
    ])
    func anEndpointThatIsNotTheSlugsIsAUsageError(url: String, base: String) throws {
        let cli = try SealgateCLI()
        for command in [["connect", "eng"], ["client-config", "eng"]] {
            let result = try cli.run(command + ["--url", url], stdin: Self.ping, env: Self.token)
            #expect(result.status == 64 && result.stdout.isEmpty, "\(command) \(url): \(result.output)")
            #expect(result.stderr.contains("is not the endpoint of workspace 'eng'"), "\(result.stderr)")
            #expect(result.stderr.contains("--url \(base),") && result.stderr.contains("--url \(base)/ws/eng/mcp"))
        }
    }

    /// `user:password@` in the URL reaches none of what is printed: not a usage error, not the bridge's advice when
    /// the gateway cannot be reached, not the JSON-RPC error the client gets.
    @Test func aPasswordInTheURLIsNeverShown() throws {
        let cli = try SealgateCLI()
        let refused = try cli.fails(64, ["connect", "eng", "--url", "http://alice:s3cret@127.0.0.1:9/active/mcp"])
        #expect(!refused.contains("s3cret") && !refused.contains("alice"), "\(refused)")
        #expect(refused.contains("--url http://127.0.0.1:9/active/mcp is not"))
        let other = try cli.fails(64, ["client-config", "eng", "--url", "http://alice:s3cret@127.0.0.1:9/ws/ops/mcp"])
        #expect(!other.contains("s3cret") && other.contains("http://127.0.0.1:9/ws/ops/mcp"), "\(other)")
        let scheme = try cli.fails(64, ["connect", "eng", "--url", "ftp://alice:s3cret@127.0.0.1:9"])
        #expect(!scheme.contains("s3cret"), "\(scheme)")

        // Nothing listens on port 1; the HTTP client retries until its 10 s connect timeout.
        let unreachable = try cli.run(
            ["connect", "eng", "--url", "http://alice:s3cret@127.0.0.1:1"], stdin: Self.ping, env: Self.token)
        #expect(unreachable.stderr.contains("cannot reach the gateway at http://127.0.0.1:1/ws/eng/mcp"))
        #expect(
            !unreachable.output.contains("s3cret") && !unreachable.output.contains("alice"), "\(unreachable.output)")
    }

    /// Plain http to another machine sends the bearer token in the clear: said on stderr, and only then.
    @Test func aTokenSentUnencryptedOverTheNetworkIsWarnedOf() throws {
        let cli = try SealgateCLI()
        for url in ["http://192.0.2.7:8787", "http://gw.example/sealgate", "http://[2001:db8::1]:8787"] {
            let config = try cli.run(["client-config", "eng", "--url", url], env: Self.token)
            #expect(config.status == 0)
            #expect(config.stderr.contains("warning: ") && config.stderr.contains("travels unencrypted"), "\(url)")
            // connect warns before it looks for its token (absent here: it stops at once).
            let connect = try cli.run(["connect", "eng", "--url", url])
            #expect(connect.stderr.contains("travels unencrypted"), "\(url): \(connect.stderr)")
        }
        for url in [
            "http://127.0.0.1:8787", "http://localhost:8787", "http://[::1]:8787", "http://127.0.0.2:8787",
            "https://gw.example", "https://192.0.2.7",
        ] {
            let config = try cli.run(["client-config", "eng", "--url", url], env: Self.token)
            #expect(config.status == 0 && config.stderr.isEmpty, "\(url): \(config.stderr)")
        }
    }
}
