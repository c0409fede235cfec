import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import TestSupport
import Testing
import Vault

/// A vault in a temporary home and the real `sealgate broker` serving it, as its own process: the test's blocking
/// client never shares a thread pool with the broker.
final class BrokerHarness: @unchecked Sendable {  // tests drive it from one task at a time
    let home: VaultHome
    let socketPath: String
    let logPath: String
    private var process: Process?

    static let upstream = binary("sealgate-test-upstream")
    static let sealgate = binary("sealgate")

    static func binary(_ name: String) -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent(name),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
            root.appendingPathComponent(".build/debug/\(name)"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates.last!.path
    }

    /// Creates the vault; `setUp` adds servers and secrets with a vault handle before the broker starts.
    init(setUp: (SecretVault) throws -> Void = { _ in }) throws {
        var template = Array("/tmp/sealgate-broker-XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template)!)
        home = VaultHome(path: path + "/home")
        socketPath = path + "/broker.sock"
        logPath = path + "/broker.log"
        let vault = try SecretVault.create(home: home, unlock: .keyFile, actor: "test")
        _ = try vault.createWorkspace(name: "Eng")
        try setUp(vault)
    }

    deinit {
        // A test that failed before `stop()` still takes its broker (and so its upstreams) down.
        _ = try? process?.stop(grace: 10)
        try? FileManager.default.removeItem(atPath: (home.path as NSString).deletingLastPathComponent)
    }

    /// Adds a stdio server running the test upstream in `era`, installed in `eng`.
    static func addUpstream(
        _ vault: SecretVault, slug: String, era: String = "dual", env: [String: String] = [:], shared: Bool = false
    ) throws {
        try vault.addServer(
            ServerDefinition(
                slug: slug, transport: .stdio(command: upstream, args: ["--era=\(era)"]),
                environment: env.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) },
                shared: shared))
        try vault.install(server: slug, workspace: "eng")
    }

    func openVault() throws -> SecretVault {
        try SecretVault.open(home: home, actor: "test") { () throws(VaultError) -> SecretValue in
            throw VaultError(.refused, "key-file vault")
        }
    }

    /// Starts `sealgate broker` with extra flags (`--request-timeout 500ms`, …) and waits until it accepts
    /// connections. Upstreams get 30 s for their handshake (not 10): the whole suite starts at once on two cores.
    func start(_ flags: [String] = []) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.sealgate)
        process.arguments =
            [
                "--home", home.path, "broker", "--socket", socketPath, "--log-level", "debug", "--handshake-timeout",
                "30s",
            ]
            + flags
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        var environment = ProcessInfo.processInfo.environment
        environment["SEALGATE_HOME"] = nil
        process.environment = environment
        try process.run()
        self.process = process
        let ready = await eventually(within: 20) { (try? BlockingBrokerClient(path: self.socketPath)) != nil }
        guard ready else { throw CLIFailure("the broker did not start: \(logs)") }
    }

    /// Stops the broker with SIGTERM and waits for it; a broker still running 20 s later is killed and fails the
    /// test.
    func stop() async {
        guard let process else { return }
        do {
            try process.stop()
        } catch {
            Issue.record("\(error); its log: \(logs)")
        }
    }

    var brokerPID: Int32? { process?.processIdentifier }

    /// Everything the broker logged.
    var logs: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// A client that said hello.
    func client() throws -> BlockingBrokerClient {
        let client = try BlockingBrokerClient(path: socketPath)
        _ = try client.handshake(client: "test")
        return client
    }
}

extension BlockingBrokerClient {
    /// Opens a channel; returns (channel, lease, upstream info) or fails the test.
    func open(
        _ server: String, session: String = "s1", workspace: String = "eng", clientCapabilities: JSONValue? = nil
    ) throws -> (channel: Int, lease: LeaseInfo, upstream: UpstreamInfo) {
        let ref = "open-\(server)-\(session)"
        try send(
            .open(
                ref: ref, workspace: workspace, server: server, session: session,
                clientCapabilities: clientCapabilities))
        let answer = try receive(timeout: 20) { message -> BrokerMessage? in
            switch message {
            case .opened(ref, _, _, _), .failure(ref, _, _, _): return message
            default: return nil
            }
        }
        guard case .opened(_, let channel, let lease, let upstream) = answer else {
            throw CLIFailure("open failed: \(answer)")
        }
        return (channel, lease, upstream)
    }

    /// Sends a request on a channel and waits for its response.
    func call(
        _ channel: Int, _ method: String, _ params: JSONValue? = nil, id: Int = Int.random(in: 1...1_000_000),
        timeout: Double = 20
    ) throws -> Outcome {
        try send(.request(channel: channel, id: RequestID(id), method: method, params: params))
        return try receive(timeout: timeout) { message -> Outcome? in
            if case .response(channel, RequestID(id), let outcome) = message { return outcome }
            return nil
        }
    }

    /// Calls a tool and returns its text content (or the error message).
    func tool(_ channel: Int, _ name: String, _ arguments: JSONObject = [:], timeout: Double = 20) throws -> String {
        let outcome = try call(
            channel, "tools/call", .object(["name": .string(name), "arguments": .object(arguments)]), timeout: timeout)
        switch outcome {
        case .result(let result):
            return result["content"]?.arrayValue?.first?["text"]?.stringValue ?? result.serializedString
        case .error(let error): return "error: \(error.message) \(error.data?.serializedString ?? "")"
        }
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

func processExists(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    // A zombie still has a /proc entry: count it as existing (the test for zombies wants it gone).
    return !stat.isEmpty
}
