import Foundation
import MCPWire
import Synchronization
import Vault

/// The gateway's numbers: one client's added latency over a direct pipe, and mcp-proxy's for reference; calls per
/// second with 1, 4 and 16 clients; tools/list over 50 installed servers; `serve` from start to ready.
struct GatewayBench {
    let iterations: Int
    static let interop =
        ProcessInfo.processInfo.environment["SEALGATE_INTEROP_DIR"]
        ?? FileManager.default.currentDirectoryPath + "/.build/interop"

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealgate-gwbench-\(getpid())")
            .path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let home = VaultHome(path: directory + "/home")
        let (benchToken, wideToken) = try prepare(home)

        let started = DispatchTime.now().uptimeNanoseconds
        let (serve, port) = try startServe(home: home)
        let coldStart = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        defer {
            kill(serve.processIdentifier, SIGTERM)
            serve.waitUntilExit()
        }
        let sealgatePath = "/ws/bench/mcp"
        let callBody: @Sendable (Int) -> String = { id in
            #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo__echo","arguments":{"text":"ping \#(id)"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
        }
        let modernHeaders = [
            ("Authorization", "Bearer \(benchToken)"), ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"), ("Mcp-Name", "echo__echo"),
        ]
        let sealgateCall: @Sendable (KeepAliveClient, Int) throws -> Void = { client, id in
            let reply = try client.post(sealgatePath, headers: modernHeaders, body: callBody(id))
            guard reply.contains("ping \(id)") else { throw BenchError("unexpected answer: \(reply)") }
        }

        // Direct and through Sealgate in turns, as the broker table is measured: the host's drift (on this VM a
        // direct round trip takes 10 µs in one minute and 50 µs in the next) falls on both rows alike.
        let directPath = try DirectUpstream()
        let sealgateClient = try warmClient(port: port, call: sealgateCall)
        var directSamples: [Double] = []
        var sealgateSamples: [Double] = []
        let perRound = max(1, iterations / 5)
        for round in 0..<5 {
            let calls = (round * perRound)..<((round + 1) * perRound)
            directSamples += try calls.map { try directPath.peer.timedEcho($0) }
            sealgateSamples += try calls.map { id in try timed { try sealgateCall(sealgateClient, 1000 + id) } }
        }
        var proxySamples: [Double]?
        var proxyRates: [Int: Double] = [:]
        let proxy = try? MCPProxy.start(interop: Self.interop, upstream: upstream)
        if let proxy {
            defer { proxy.stop() }
            let client = try warmClient(port: proxy.port, setUp: proxy.session, call: proxy.call)
            proxySamples = try (0..<perRound * 5).map { id in try timed { try proxy.call(client, 1000 + id) } }
            for clients in [1, 4, 16] {
                proxyRates[clients] = try throughput(
                    clients: clients, port: proxy.port, setUp: proxy.session, call: proxy.call)
            }
        }
        var sealgateRates: [Int: Double] = [:]
        for clients in [1, 4, 16] {
            sealgateRates[clients] = try throughput(clients: clients, port: port, call: sealgateCall)
        }
        let (coldList, warmList) = try toolsList(port: port, token: wideToken)
        let gateway = try gatewayPID(socket: home.path + "/broker.sock")
        let perSession = try memoryPerSession(port: port, token: benchToken, gateway: gateway)

        print(
            "Gateway: tools/call echo against sealgate-echo-upstream (stdio), \(perRound * 5) calls per latency row "
                + "(direct and Sealgate in 5 turns)")
        print("| path                                       | p50 µs   | p90 µs   | p99 µs   | calls/s    |")
        print("|--------------------------------------------|----------|----------|----------|------------|")
        let a = report("direct pipe to the upstream", directSamples)
        let b = report("through Sealgate (2026-07-28 HTTP)", sealgateSamples)
        print(a.line)
        print(b.line)
        if let proxySamples { print(report("through mcp-proxy 0.13.0 (2025 HTTP)", proxySamples).line) }
        print(String(format: "added by Sealgate at p50: %.1f µs (goal: <= 250 µs)", (b.p50 - a.p50) * 1e6))
        print("")
        print("| clients | Sealgate calls/s | mcp-proxy calls/s | ratio |")
        print("|---------|------------------|-------------------|-------|")
        for clients in [1, 4, 16] {
            let ours = sealgateRates[clients] ?? 0
            let theirs = proxyRates[clients]
            print(
                String(
                    format: "| %7d | %16.0f | %17@ | %5@ |", clients, ours,
                    theirs.map { String(format: "%.0f", $0) } ?? "n/a",
                    theirs.map { String(format: "%.1f", ours / $0) } ?? "n/a"))
        }
        if proxy == nil { print("(mcp-proxy not found under \(Self.interop)/proxy: run scripts/interop-venv)") }
        print("")
        print(
            String(
                format:
                    "tools/list over 50 installed servers: cold %.1f ms (starts 50 upstreams), warm p50 %.2f ms (goal: <= 5 ms)",
                coldList * 1e3, warmList * 1e3))
        print(String(format: "serve cold start to ready (gateway answering /healthz): %.0f ms", coldStart * 1e3))
        print(
            String(
                format: "gateway memory per 2025-era session with its GET stream open (%d held): %.1f KiB",
                Self.heldSessions, perSession))
        if let rss = residentKilobytes(of: gateway) { print("gateway resident memory after the run: \(rss) KiB") }
    }

    /// Workspace `bench` with one echo server; workspace `wide` with 50.
    private func prepare(_ home: VaultHome) throws -> (String, String) {
        let vault = try SecretVault.create(home: home, unlock: .keyFile, actor: "bench")
        let (_, bench) = try vault.createWorkspace(name: "Bench")
        let (_, wide) = try vault.createWorkspace(name: "Wide")
        try vault.addServer(
            ServerDefinition(slug: "echo", transport: .stdio(command: upstream, args: [])))
        try vault.install(server: "echo", workspace: "bench")
        for index in 0..<50 {
            try vault.addServer(
                ServerDefinition(slug: "s\(index)", transport: .stdio(command: upstream, args: [])))
            try vault.install(server: "s\(index)", workspace: "wide")
        }
        let text = { (token: SecretValue) in token.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
        return (text(bench.token), text(wide.token))
    }

    private func startServe(home: VaultHome) throws -> (Process, Int) {
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: sealgate)
        serve.arguments = ["--home", home.path, "serve", "--listen", "127.0.0.1:0", "--log-level", "error"]
        let output = Pipe()
        serve.standardOutput = output
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        var text = ""
        while !text.contains("serving on") {
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else { throw BenchError("serve ended: \(text)") }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let match = text.firstMatch(of: /127\.0\.0\.1:(\d+)/), let port = Int(match.1) else {
            throw BenchError("no port in: \(text)")
        }
        while (try? KeepAliveClient(port: port).get("/healthz")) != 200 { usleep(10_000) }
        return (serve, port)
    }

    /// A connection set up and warmed by 200 calls.
    private func warmClient(
        port: Int, setUp: (KeepAliveClient) throws -> Void = { _ in }, call: (KeepAliveClient, Int) throws -> Void
    ) throws -> KeepAliveClient {
        let client = try KeepAliveClient(port: port)
        try setUp(client)
        for id in 0..<200 { try call(client, id) }
        return client
    }

    /// Seconds one call took.
    private func timed(_ call: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try call()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Calls per second over 3 s, with `clients` connections calling back to back on threads of their own.
    private func throughput(
        clients: Int, port: Int, setUp: @escaping @Sendable (KeepAliveClient) throws -> Void = { _ in },
        call: @escaping @Sendable (KeepAliveClient, Int) throws -> Void
    ) throws -> Double {
        let counts = Counts()
        let deadline = DispatchTime.now().uptimeNanoseconds + 3_000_000_000
        let group = DispatchGroup()
        for index in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let client = try? KeepAliveClient(port: port), (try? setUp(client)) != nil else { return }
                var id = index * 10_000_000
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    id += 1
                    guard (try? call(client, id)) != nil else { return }
                    counts.add()
                }
            }
        }
        group.wait()
        return Double(counts.total) / 3
    }

    /// The first tools/list of workspace `wide` (starting 50 upstreams), then the warm p50 of 200 more.
    private func toolsList(port: Int, token: String) throws -> (Double, Double) {
        let client = try KeepAliveClient(port: port)
        let headers = [
            ("Authorization", "Bearer \(token)"), ("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", "tools/list"),
        ]
        let body =
            #"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#
        var start = DispatchTime.now().uptimeNanoseconds
        let first = try client.post("/ws/wide/mcp", headers: headers, body: body)
        let cold = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard first.contains("s49__echo") else { throw BenchError("tools/list lacks s49__echo: \(first.prefix(300))") }
        var samples: [Double] = []
        for _ in 0..<200 {
            start = DispatchTime.now().uptimeNanoseconds
            _ = try client.post("/ws/wide/mcp", headers: headers, body: body)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (cold, percentile(samples.sorted(), 0.5))
    }

    static let heldSessions = 1000

    /// Opens `heldSessions` 2025-era sessions, each holding its GET stream, and returns the gateway's resident
    /// memory growth per session in KiB.
    private func memoryPerSession(port: Int, token: String, gateway: Int32) throws -> Double {
        guard let before = residentKilobytes(of: gateway) else { throw BenchError("no gateway memory") }
        let initialize =
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
        var held: [KeepAliveClient] = []
        for _ in 0..<Self.heldSessions {
            let client = try KeepAliveClient(port: port)
            let authorization = [("Authorization", "Bearer \(token)")]
            _ = try client.post("/ws/bench/mcp", headers: authorization, body: initialize)
            guard try client.openStream("/ws/bench/mcp", headers: authorization) == 200 else {
                throw BenchError("the GET stream was refused")
            }
            held.append(client)
        }
        guard let after = residentKilobytes(of: gateway) else { throw BenchError("no gateway memory") }
        return Double(after - before) / Double(held.count)
    }

    private func gatewayPID(socket: String) throws -> Int32 {
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = Int32(entry), let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains("gateway"), arguments.contains(socket) { return pid }
        }
        throw BenchError("no gateway process")
    }
}

/// Resident memory of a process in KiB, from /proc.
func residentKilobytes(of pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
    return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true)[1]) }
}

/// Calls counted across threads.
final class Counts: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.wrappingAdd(1, ordering: .relaxed) }
    var total: Int { count.load(ordering: .relaxed) }
}
