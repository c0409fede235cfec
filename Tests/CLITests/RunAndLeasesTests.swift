import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import TestSupport
import Testing

/// `sealgate run` and `sealgate leases` through the built binary.
struct RunAndLeasesTests {
    static let value = "sk-run-Secret-Value-0042"

    func vault() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok([
            "server", "add", "api", "--command", "/bin/true", "--env", "AUTH=Bearer ${API_KEY}", "--env", "PLAIN=yes",
        ])
        try cli.ok(["secrets", "set", "api", "API_KEY"], stdin: Self.value)
        return cli
    }

    @Test func runInjectsTheServersEnvironmentMasksOutputAndPassesTheExitCode() throws {
        let cli = try vault()
        let result = try cli.run(
            [
                "run", "--server", "api", "--", "/bin/sh", "-c",
                "echo \"$API_KEY|$AUTH|$PLAIN\"; printf %s \"$API_KEY\" | base64; echo \"err $API_KEY\" >&2; env | cut -d= -f1 | sort | tr '\\n' ' '; exit 7",
            ],
            env: ["CANARY_NOT_INJECTED": "x"])
        #expect(result.status == 7)
        #expect(result.stdout.contains("[REDACTED:API_KEY]|Bearer [REDACTED:API_KEY]|yes"))
        #expect(result.stdout.contains("\n[REDACTED:API_KEY]\n"), "the base64 form: \(result.stdout)")
        #expect(result.stderr.contains("err [REDACTED:API_KEY]"))
        #expect(!result.output.contains(Self.value))
        #expect(!result.stdout.contains("CANARY_NOT_INJECTED"))
        #expect(try cli.ok(["audit"]).contains("secret.inject"))
    }

    @Test func runForwardsSignals() throws {
        let cli = try vault()
        let process = try cli.start([
            "run", "--server", "api", "--", "/bin/sh", "-c",
            "trap 'echo got-term; exit 42' TERM; echo ready; while true; do sleep 0.05; done",
        ])
        process.killIfStillRunning(after: 60)  // a command that never says ready ends the reads below
        let stdout = (process.standardOutput as! Pipe).fileHandleForReading
        var seen = ""
        while !seen.contains("ready") {
            let chunk = stdout.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGTERM)
        seen += String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self)
        let ending = try process.waitForExit()
        #expect(seen.contains("got-term"))
        #expect(!ending.signalled && ending.status == 42)
    }

    @Test func runWithoutACommandOrAnUnknownServerSaysWhatToDo() throws {
        let cli = try vault()
        #expect(try cli.fails(64, ["run", "--server", "api"]).contains("after `--`"))
        #expect(try cli.fails(3, ["run", "--server", "nope", "--", "/bin/true"]).contains("server list"))
    }

    @Test func leasesAreListedAndRevokedThroughTheCLI() async throws {
        let cli = try vault()
        let upstream = URL(fileURLWithPath: SealgateCLI.binary).deletingLastPathComponent().appendingPathComponent(
            "sealgate-test-upstream"
        ).path
        try cli.ok(["server", "add", "up", "--command", upstream])
        try cli.ok(["mcp", "install", "up", "--workspace", "eng"])
        // A loaded machine can take more than the default 10 s to start the upstream (ServeHarness does the same).
        let broker = try cli.start(["broker", "--handshake-timeout", "30s"])
        defer { _ = try? broker.stop() }
        let socket = cli.home + "/broker.sock"
        let deadline = Date().addingTimeInterval(20)
        var client: BlockingBrokerClient?
        while client == nil && Date() < deadline {
            client = try? BlockingBrokerClient(path: socket)
            if client == nil { usleep(50_000) }
        }
        let gateway = try #require(client)
        _ = try gateway.handshake(client: "test")
        try gateway.send(.open(ref: "o", workspace: "eng", server: "up", session: "cli-test"))
        // The broker's refusal, if it refuses, is the failure to report (not a wait for an `opened` that never comes).
        let opened = try gateway.receive(timeout: 40) { message -> Result<LeaseInfo, OpenRefused>? in
            if case .opened("o", _, let lease, _) = message { return .success(lease) }
            if case .failure("o", _, _, let text) = message { return .failure(OpenRefused(message: text)) }
            return nil
        }
        let lease = try opened.get()
        let listed = try cli.ok(["leases", "list"])
        #expect(listed.contains(lease.id) && listed.contains("cli-test"))
        let json = try cli.json(["leases", "list", "--json"]) as? [[String: Any]]
        #expect(json?.first?["id"] as? String == lease.id)
        #expect(try cli.ok(["leases", "revoke", lease.id]).contains("Revoked lease"))
        let reason = try gateway.receive { message -> String? in
            if case .closed(_, let reason) = message { return reason }
            return nil
        }
        #expect(reason == "lease revoked")
        try cli.fails(3, ["leases", "revoke", "lease_nope"])
        #expect(try cli.ok(["leases", "list"]).contains("No open leases."))
    }

    @Test func leasesWithoutABrokerSayHowToStartOne() throws {
        let cli = try vault()
        #expect(try cli.fails(1, ["leases", "list"]).contains("sealgate broker"))
    }
}

/// The broker refused to open the upstream: what it said.
private struct OpenRefused: Error, CustomStringConvertible {
    let message: String
    var description: String { "the broker refused to open the upstream: \(message)" }
}
