import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import Logging
import MCPWire
import Testing
import Vault

/// A vault in a temporary home, a broker serving it on a real socket in this process, and the test upstream.
final class BrokerHarness: @unchecked Sendable {  // tests drive it from one task at a time
    let home: VaultHome
    let socketPath: String
    let logs = LogCollector()
    private(set) var broker: CredentialBroker!
    private var task: Task<Void, Never>?

    static let upstream: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("sealgate-test-upstream"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sealgate-test-upstream"),
            root.appendingPathComponent(".build/debug/sealgate-test-upstream"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates.last!.path
    }()

    /// Creates the vault; `setUp` adds servers and secrets with a vault handle before the broker starts.
    init(setUp: (SecretVault) throws -> Void = { _ in }) throws {
        var template = Array("/tmp/sealgate-broker-XXXXXX".utf8CString)
        let path = String(cString: mkdtemp(&template)!)
        home = VaultHome(path: path + "/home")
        socketPath = path + "/broker.sock"
        let vault = try SecretVault.create(home: home, unlock: .keyFile, actor: "test")
        _ = try vault.createWorkspace(name: "Eng")
        try setUp(vault)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: (home.path as NSString).deletingLastPathComponent)
    }

    /// Adds a stdio server running the test upstream in `era`, installed in `eng`.
    static func addUpstream(
        _ vault: SecretVault, slug: String, era: String = "dual", env: [String: String] = [:], shared: Bool = false
    ) throws {
        try vault.addServer(
            ServerDefinition(
                slug: slug, transport: .stdio(command: upstream, args: ["--era=\(era)"]),
                environment: env.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) }, shared: shared
            ))
        try vault.install(server: slug, workspace: "eng")
    }

    func openVault() throws -> SecretVault {
        try SecretVault.open(home: home, actor: "test") { () throws(VaultError) -> SecretValue in
            throw VaultError(.refused, "key-file vault")
        }
    }

    /// Starts the broker with `configure`d timeouts and waits until its socket accepts connections.
    func start(_ configure: (inout BrokerConfiguration) -> Void = { _ in }) async throws {
        var configuration = BrokerConfiguration()
        configuration.pollInterval = .milliseconds(50)
        configure(&configuration)
        let home = home
        let logs = logs
        let logger = Logger(label: "test.broker") { _ in logs.handler() }
        let broker = try CredentialBroker(configuration: configuration, logger: logger) {
            () throws(VaultError) -> SecretVault in
            try SecretVault.open(home: home, actor: "broker") { () throws(VaultError) -> SecretValue in
                throw VaultError(.refused, "key-file vault")
            }
        }
        self.broker = broker
        let server = BrokerSocketServer(path: socketPath, broker: broker, logger: logger)
        let (ready, signal) = AsyncStream<Void>.makeStream()
        task = Task {
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await broker.run() }
                group.addTask { try await server.run { signal.yield() } }
                _ = try? await group.next()
                group.cancelAll()
            }
        }
        for await _ in ready { break }
    }

    func stop() async {
        task?.cancel()
        await task?.value
    }

    /// A client that said hello.
    func client() throws -> BlockingBrokerClient {
        let client = try BlockingBrokerClient(path: socketPath)
        _ = try client.handshake(client: "test")
        return client
    }
}

/// Collects log lines so tests can read what the broker logged.
final class LogCollector: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.withLock { lines.append(line) }
    }

    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func handler() -> some LogHandler { CollectingLogHandler(collector: self) }
}

struct CollectingLogHandler: LogHandler {
    let collector: LogCollector
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        collector.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
    }
}

extension BlockingBrokerClient {
    /// Opens a channel; returns (channel, lease, upstream info) or fails the test.
    func open(_ server: String, session: String = "s1", workspace: String = "eng") throws -> (
        channel: Int, lease: LeaseInfo, upstream: UpstreamInfo
    ) {
        let ref = "open-\(server)-\(session)"
        try send(.open(ref: ref, workspace: workspace, server: server, session: session))
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
