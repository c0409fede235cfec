import Foundation
import MCPWire
import Testing

/// The demo's home as `scripts/demo` makes it (`scripts/demo-home`), served and used by the official Python SDK's
/// client: the first tools a newcomer calls are real servers from PyPI and the SDK, one with an injected secret.
@Suite struct DemoHomeTests {
    static let script = ServeHarness.repositoryRoot.appendingPathComponent("scripts/demo-home").path

    /// Runs `scripts/demo-home` on the harness's home; returns its exit status and output.
    static func makeHome(_ harness: ServeHarness) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, ServeHarness.binary, try PythonClient.python("v2")]
        process.environment = harness.environment
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
}
