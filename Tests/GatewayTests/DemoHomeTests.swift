import Foundation
import MCPWire
import Testing

/// The demo's home as `scripts/demo` makes it (`scripts/demo-home`), served and used by the official Python SDK's
/// client: the first tools a newcomer calls are real servers from PyPI and the SDK, one with an injected secret.
@Suite struct DemoHomeTests {
    static let script = ServeHarness.repositoryRoot.appendingPathComponent("scripts/demo-home").path

    static let tokenScript = ServeHarness.repositoryRoot.appendingPathComponent("scripts/demo-token").path

    /// Runs `scripts/demo-home` with the harness's home as the demo's home; returns its exit status and output.
    static func makeHome(_ harness: ServeHarness) throws -> (status: Int32, output: String) {
        try runScript(
            script, [ServeHarness.binary, try PythonClient.python("v2")],
            env: harness.environment.merging(["SEALGATE_DEMO_HOME": harness.home]) { $1 })
    }

    /// Runs a script with `arguments` in `env`; returns its exit status and output (stdout and stderr).
    static func runScript(
        _ path: String, _ arguments: [String], env: [String: String]
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [path] + arguments
        process.environment = env
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func theDemoHomesServersAreRealAndTheSecretStaysMasked() throws {
        let harness = try ServeHarness()
        let made = try Self.makeHome(harness)
        #expect(made.status == 0, "\(made.output)")
        // Run again, as scripts/demo does every time: nothing is added twice, nothing fails.
        let entries = try harness.ok(["audit", "verify"])
        let again = try Self.makeHome(harness)
        #expect(again.status == 0 && again.output.isEmpty, "\(again.output)")
        #expect(try harness.ok(["audit", "verify"]) == entries)

        let created = try harness.ok(["workspace", "token", "create", "demo", "--name", "test"])
        let token = String(try #require(created.firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0)
        try harness.start()
        #expect(harness.logs.contains("sealgate client-config demo --url http://127.0.0.1:\(harness.port)\n"))
        let client = try PythonClient(
            venv: "v2", url: harness.url("demo"), token: token, transport: "streamable", mode: "auto",
            steps: [
                .object(["op": "list_tools"]),
                .object([
                    "op": "call_tool", "name": "time__get_current_time", "arguments": .object(["timezone": "UTC"]),
                ]),
                .object(["op": "call_tool", "name": "signer__sign", "arguments": .object(["text": "hello"])]),
                .object(["op": "call_tool", "name": "signer__key_fingerprint", "arguments": .object([:])]),
                .object(["op": "call_tool", "name": "signer__reveal_key", "arguments": .object([:])]),
            ])
        let names = try client.next()["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(
            Set(names) == [
                "time__get_current_time", "time__convert_time", "signer__sign", "signer__key_fingerprint",
                "signer__reveal_key",
            ], "\(names)")
        let time = try client.next()
        #expect(time["isError"] == false && time["text"]?.stringValue?.contains("UTC") == true, "\(time)")
        let signature = try client.next()["text"]?.stringValue ?? ""
        #expect(signature.wholeMatch(of: /[0-9a-f]{64}/) != nil, "\(signature)")
        let fingerprint = try client.next()["text"]?.stringValue ?? ""
        #expect(fingerprint.wholeMatch(of: /[0-9a-f]{12}/) != nil, "\(fingerprint)")
        let revealed = try client.next()
        #expect(revealed["text"] == "the signing key is [REDACTED:SIGNING_KEY]", "\(revealed)")
        #expect(client.finish() == 0)
    }

    /// The demo is run by someone whose SEALGATE_HOME is their real vault: it makes its own home and leaves theirs
    /// alone (no demo workspace, no servers running this checkout's code, no tokens).
    @Test func theDemoLeavesTheVaultInSEALGATE_HOMEAlone() throws {
        let (real, demo) = (try ServeHarness(), try ServeHarness())
        _ = try real.initialize()
        let before = try real.ok(["audit", "verify"])
        let made = try Self.runScript(
            Self.script, [ServeHarness.binary, try PythonClient.python("v2")],
            env: real.environment.merging(["SEALGATE_DEMO_HOME": demo.home]) { $1 })
        #expect(made.status == 0, "\(made.output)")
        #expect(try real.ok(["audit", "verify"]) == before)
        #expect(!(try real.ok(["workspace", "list"]).contains("demo")))
        #expect(FileManager.default.fileExists(atPath: demo.home + "/.sealgate-demo"))
        #expect(try demo.ok(["workspace", "list"]).contains("demo"))
    }

    /// SEALGATE_DEMO_HOME pointed at a vault (or any directory) the demo did not make: refused, nothing changed.
    @Test func aHomeTheDemoDidNotMakeIsRefused() throws {
        let real = try ServeHarness()
        _ = try real.initialize()
        let before = try real.ok(["audit", "verify"])
        let refused = try Self.runScript(
            Self.script, [ServeHarness.binary, try PythonClient.python("v2")],
            env: real.environment.merging(["SEALGATE_DEMO_HOME": real.home]) { $1 })
        #expect(refused.status != 0 && refused.output.contains("was not made by the demo"), "\(refused.output)")
        #expect(try real.ok(["audit", "verify"]) == before)
        #expect(!FileManager.default.fileExists(atPath: real.home + "/.sealgate-demo"))
        let token = try Self.runScript(
            Self.tokenScript, [ServeHarness.binary, "http://127.0.0.1:8787"],
            env: real.environment.merging(["SEALGATE_DEMO_HOME": real.home]) { $1 })
        #expect(token.status != 0 && !token.output.contains("mwt_"), "\(token.output)")
    }

    /// Each run issues a token: the earlier runs' demo tokens are revoked, so one works at a time.
    @Test func aFreshDemoTokenRevokesTheEarlierOnes() throws {
        let harness = try ServeHarness()
        #expect(try Self.makeHome(harness).status == 0)
        let env = harness.environment.merging(["SEALGATE_DEMO_HOME": harness.home]) { $1 }
        try harness.ok(["workspace", "token", "create", "demo", "--name", "laptop"])  // not the demo's: kept
        var tokens: [String] = []
        for _ in 0..<3 {
            let issued = try Self.runScript(Self.tokenScript, [ServeHarness.binary, "http://127.0.0.1:8787"], env: env)
            #expect(issued.status == 0, "\(issued.output)")
            tokens.append(String(try #require(issued.output.firstMatch(of: /mwt_[A-Za-z0-9_-]+/)).0))
        }
        #expect(Set(tokens).count == 3)
        let active = try harness.ok(["workspace", "token", "list", "demo"])
        let names = active.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first }
        #expect(names.filter { $0.hasPrefix("demo-") }.count == 1, "\(active)")
        #expect(names.contains("laptop") && names.contains("default"), "\(active)")
    }
}
