import Foundation
import TestSupport
import Testing

/// A vault home with `sealgate serve` running on a free loopback port, driven through the built binary.
/// Everything is a real process: the CLI for configuration, `serve` (broker) and its `gateway` child.
final class ServeHarness: @unchecked Sendable {
    // `@unchecked`: `serve`, `port` and `servePID` are set once in `start` before the harness is shared.
    let home: String
    private(set) var port = 0
    private var serve: Process?
    private var serveOutput = OutputCollector()

    init() throws {
        var template = Array("/tmp/sealgate-gw-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        home = String(cString: path) + "/home"
    }

    deinit {
        _ = try? serve?.stop(grace: 10)
        try? FileManager.default.removeItem(atPath: (home as NSString).deletingLastPathComponent)
    }

    static let buildDirectory: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for candidate in [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        where FileManager.default.isExecutableFile(atPath: candidate.appendingPathComponent("sealgate").path) {
            return candidate
        }
        return root.appendingPathComponent(".build/debug")
    }()
    static let binary = buildDirectory.appendingPathComponent("sealgate").path
    static let testUpstream = buildDirectory.appendingPathComponent("sealgate-test-upstream").path
    static let echoUpstream = buildDirectory.appendingPathComponent("sealgate-echo-upstream").path
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    var environment: [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "SEALGATE_HOME": home, "LANG": "C.UTF-8"]
    }

    /// Runs `sealgate ARGS`; returns (status, stdout, stderr).
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        process.environment = environment.merging(env) { $1 }
        let (out, err, input) = (Pipe(), Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        process.killIfStillRunning(after: 120)  // a hung command fails its test instead of stalling the run
        input.fileHandleForWriting.write(Data((stdin ?? "").utf8))
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        let ending = try process.waitForExit()
        return (ending.status, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Runs and requires success; returns stdout.
    @discardableResult
    func ok(_ args: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String
    {
        let result = try run(args, stdin: stdin)
        guard result.status == 0 else {
            throw HarnessError("sealgate \(args.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    /// `init` plus a workspace; returns the workspace's default token.
    func initialize(workspace: String = "eng") throws -> String {
        try ok(["init"])
        return try createWorkspace(workspace)
    }

    func createWorkspace(_ slug: String) throws -> String {
        let out = try ok(["workspace", "create", slug.capitalized, "--slug", slug])
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("Token: mwt_") }) else {
            throw HarnessError("no token in: \(out)")
        }
        return String(line.dropFirst(7))
    }

    /// Adds the package's test upstream as server `slug` (stdio, in `era`), with `API_KEY` from the vault unless
    /// `withSecret` is false.
    func addTestUpstream(_ slug: String, era: String = "dual", withSecret: Bool = true) throws {
        let secret = withSecret ? ["--env", "API_KEY=${API_KEY}"] : []
        try ok(["server", "add", slug, "--command", Self.testUpstream, "--arg=--era", "--arg", era] + secret)
    }

    /// Starts `serve` on a free port (with `env` added to its environment) and waits until the gateway answers
    /// `/healthz`. Upstreams get 30 s for their handshake (not 10): the whole suite starts at once on two cores.
    /// `binary`: the `sealgate` to run, the built one unless given.
    func start(extra: [String] = [], env: [String: String] = [:], binary: String = ServeHarness.binary) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments =
            ["serve", "--listen", "127.0.0.1:0", "--dashboard", "127.0.0.1:0", "--handshake-timeout", "30s"] + extra
        process.environment = environment.merging(env) { $1 }
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        serveOutput.collect(out, err)
        try process.run()
        serve = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let match = serveOutput.text.firstMatch(of: /serving on http:\/\/127\.0\.0\.1:(\d+)/),
                let bound = Int(match.1)
            {
                port = bound
                break
            }
            guard process.isRunning else { throw HarnessError("serve exited: \(serveOutput.text)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        guard port != 0 else { throw HarnessError("serve did not announce its port: \(serveOutput.text)") }
        while Date() < deadline {
            if let response = try? HTTP.request(port: port, "GET", "/healthz"), response.status == 200 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("the gateway did not become healthy: \(serveOutput.text)")
    }

    /// Everything `serve` (and the gateway, whose stderr it shares) printed so far.
    var logs: String { serveOutput.text }

    var servePID: Int32? { serve?.processIdentifier }

    /// The pid of the `sealgate gateway` child of `serve`.
    func gatewayPID() throws -> Int32 {
        let socket = home + "/broker.sock"
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = Int32(entry),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains("gateway"), arguments.contains(socket) { return pid }
        }
        throw HarnessError("no gateway process found")
    }

    /// Stops `serve` with SIGTERM (it stops the gateway and every upstream) and waits for it; a `serve` still
    /// running 20 s later is killed and fails the test.
    func stop() {
        guard let serve else { return }
        do {
            try serve.stop()
        } catch {
            Issue.record("\(error); its output: \(logs)")
        }
    }

    /// A URL path of this gateway: `/ws/SLUG/mcp` by default.
    func path(_ workspace: String = "eng", _ endpoint: String = "mcp") -> String {
        "/ws/\(workspace)/\(endpoint)"
    }

    func url(_ workspace: String = "eng", _ endpoint: String = "mcp") -> String {
        "http://127.0.0.1:\(port)" + path(workspace, endpoint)
    }
}

/// Collects a process's output from both pipes as it arrives.
final class OutputCollector: @unchecked Sendable {
    // Guarded by `lock`.
    private var buffer = ""
    private let lock = NSLock()

    func collect(_ pipes: Pipe...) {
        for pipe in pipes {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self, !data.isEmpty else {
                    handle.readabilityHandler = nil
                    return
                }
                self.lock.withLock { self.buffer += String(decoding: data, as: UTF8.self) }
            }
        }
    }

    var text: String { lock.withLock { buffer } }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
