import Foundation
import MCPWire
import TestSupport
import Testing

/// The OAuth end-to-end suites, one test at a time: each holds a thread of the few that run every test's tasks
/// while it waits on processes, sockets and token lifetimes, and together they would hold them all.
@Suite(.serialized) enum OAuthEndToEnd {}

/// `oauth_upstream.py`: an OAuth-protected MCP server whose OAuth is the official MCP Python SDK's (authorization
/// server routes, protected resource metadata, the bearer guard), with an auto-approving in-memory provider.
final class OAuthFixture: @unchecked Sendable {
    // `@unchecked`: the process is set once in `init`.
    static let script = ServeHarness.repositoryRoot.appendingPathComponent("Tests/Interop/oauth_upstream.py").path

    let port: Int
    private let process = Process()
    private let output = OutputCollector()

    /// Starts the fixture with `arguments` (see its `--help`) and waits for it to listen.
    init(_ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: try PythonClient.python("v2"))
        process.arguments = [Self.script, "--port", "0"] + arguments
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        output.collect(out, err)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found = 0
        while Date() < deadline, found == 0 {
            if let match = output.text.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)/) {
                found = Int(match.1) ?? 0
            } else if !process.isRunning {
                throw HarnessError("the OAuth fixture exited: \(output.text)")
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        guard found != 0 else { throw HarnessError("the OAuth fixture did not listen: \(output.text)") }
        port = found
    }

    deinit { _ = try? process.stop(grace: 5) }

    var mcpURL: String { "http://127.0.0.1:\(port)/mcp" }
    var issuer: String { "http://127.0.0.1:\(port)" }

    func stats() throws -> JSONValue {
        guard
            let json = try HTTP.request(port: port, "GET", "/test/stats", headers: [("Host", "127.0.0.1:\(port)")]).json
        else { throw HarnessError("the fixture's /test/stats is not JSON") }
        return json
    }

    /// The live access and refresh tokens: the needles to search for.
    func tokens() throws -> (access: [String], refresh: [String]) {
        guard
            let json = try HTTP.request(port: port, "GET", "/test/tokens", headers: [("Host", "127.0.0.1:\(port)")])
                .json
        else { throw HarnessError("the fixture's /test/tokens is not JSON") }
        func strings(_ key: String) -> [String] {
            json[key]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        return (strings("access"), strings("refresh"))
    }

    /// `POST /test/revoke-all` or `/test/expire-access`.
    func control(_ action: String) throws {
        _ = try HTTP.request(port: port, "POST", "/test/\(action)", headers: [("Host", "127.0.0.1:\(port)")])
    }
}

/// `sealgate oauth login` driven as an operator would: run it, read the address it prints, and play the browser by
/// following the authorization server's redirect back to the loopback listener.
struct OAuthLogin {
    let status: Int32
    let stdout: String
    let stderr: String

    /// `browser`: what to do with the printed address (follow it, by default); `arguments` are appended.
    static func run(
        _ harness: ServeHarness, server: String = "api", workspace: String = "eng", arguments: [String] = [],
        browser: (String) throws -> Void = { try OAuthLogin.follow($0) }
    ) throws -> OAuthLogin {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServeHarness.binary)
        process.arguments = ["oauth", "login", server, "--workspace", workspace, "--no-browser"] + arguments
        process.environment = harness.environment
        let (out, err) = (Pipe(), Pipe())
        let collected = OutputCollector()
        let errors = OutputCollector()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        collected.collect(out)
        errors.collect(err)
        try process.run()
        process.killIfStillRunning(after: 120)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            if let match = collected.text.firstMatch(of: /\s(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/) {
                try browser(String(match.1))
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let ending = try process.waitForExit(within: 60)
        Thread.sleep(forTimeInterval: 0.1)  // the last output on the pipes
        return OAuthLogin(status: ending.status, stdout: collected.text, stderr: errors.text)
    }

    /// GETs `url`, and the redirect it answers with, as a browser would (at most five hops).
    static func follow(_ url: String) throws {
        var next = url
        for _ in 0..<5 {
            guard let components = URLComponents(string: next), let port = components.port else { return }
            let path = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            let response = try HTTP.request(port: port, "GET", path, headers: [("Host", "127.0.0.1:\(port)")])
            guard (300..<400).contains(response.status), let location = response.header("Location") else { return }
            next = location
        }
    }

    /// The `redirect_uri` and `state` of an authorization address.
    static func redirect(of url: String) throws -> (uri: String, state: String) {
        let items = URLComponents(string: url)?.queryItems ?? []
        guard let uri = items.first(where: { $0.name == "redirect_uri" })?.value,
            let state = items.first(where: { $0.name == "state" })?.value
        else { throw HarnessError("no redirect_uri or state in \(url)") }
        return (uri, state)
    }
}
