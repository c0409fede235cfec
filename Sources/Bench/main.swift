import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Vault

// Usage (run by scripts/bench, which builds in release mode):
//   sealgate-bench broker [ITERATIONS]   a channel round trip through the broker vs a direct pipe
//   sealgate-bench gateway [ITERATIONS]  an MCP call through `sealgate serve` vs direct vs mcp-proxy, and more

let mode = CommandLine.arguments.dropFirst().first ?? "broker"
let iterations = CommandLine.arguments.dropFirst(2).first.flatMap(Int.init) ?? 5_000
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
/// The fast stdio upstream every benchmark path talks to (direct, broker, gateway, mcp-proxy).
let upstream = binDirectory.appendingPathComponent("sealgate-echo-upstream").path
let sealgate = binDirectory.appendingPathComponent("sealgate").path

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func report(_ name: String, _ samples: [Double]) -> (p50: Double, line: String) {
    let sorted = samples.sorted()
    let total = samples.reduce(0, +)
    let numbers = String(
        format: " | %8.1f | %8.1f | %8.1f | %10.0f |", percentile(sorted, 0.5) * 1e6, percentile(sorted, 0.9) * 1e6,
        percentile(sorted, 0.99) * 1e6, Double(samples.count) / total)
    let line = "| " + name.padding(toLength: 42, withPad: " ", startingAt: 0) + numbers
    return (percentile(sorted, 0.5), line)
}

func echoRequest(_ id: Int) -> JSONValue {
    .object(["name": "echo", "arguments": .object(["text": .string("ping \(id)")])])
}

/// Direct: our own pipes to the upstream, one JSON line out, one back.
func direct() throws -> [Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: upstream)
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
    var buffer: [UInt8] = []
    let readFD = output.fileHandleForReading.fileDescriptor
    func roundTrip(_ message: JSONRPCMessage) -> [UInt8] {
        let line = message.serialized + [0x0A]
        line.withUnsafeBytes { _ = write(input.fileHandleForWriting.fileDescriptor, $0.baseAddress, $0.count) }
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let reply = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return reply
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n <= 0 { return [] }
            buffer += chunk[0..<n]
        }
    }
    _ = roundTrip(
        .request(
            id: RequestID(0), method: "initialize",
            params: .object([
                "protocolVersion": "2025-11-25", "capabilities": .object([:]),
                "clientInfo": .object(["name": "bench", "version": "1"]),
            ])))
    let initialized = JSONRPCMessage.notification(method: "notifications/initialized", params: nil).serialized + [0x0A]
    initialized.withUnsafeBytes { _ = write(input.fileHandleForWriting.fileDescriptor, $0.baseAddress, $0.count) }
    for i in 0..<200 { _ = roundTrip(.request(id: RequestID(i + 1), method: "tools/call", params: echoRequest(i))) }
    var samples: [Double] = []
    for i in 0..<iterations {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = roundTrip(.request(id: RequestID(i + 1000), method: "tools/call", params: echoRequest(i)))
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return samples
}

/// Through the broker: a frame in on the socket, the upstream over stdio, a frame out.
func throughBroker() throws -> [Double] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealgate-bench-\(getpid())").path
    try? FileManager.default.removeItem(atPath: directory)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let home = VaultHome(path: directory + "/home")
    let vault = try SecretVault.create(home: home, unlock: .keyFile, actor: "bench")
    _ = try vault.createWorkspace(name: "Bench")
    try vault.addServer(ServerDefinition(slug: "echo", transport: .stdio(command: upstream, args: [])))
    try vault.install(server: "echo", workspace: "bench")
    try vault.setSecret(
        server: "echo", name: "BENCH_TOKEN", value: SecretValue(unsafeFromString: "bench-secret-value"),
        workspace: "bench")
    let socket = directory + "/broker.sock"
    let broker = Process()
    broker.executableURL = URL(fileURLWithPath: sealgate)
    broker.arguments = ["--home", home.path, "broker", "--socket", socket, "--log-level", "error"]
    broker.standardError = FileHandle.nullDevice
    try broker.run()
    defer {
        kill(broker.processIdentifier, SIGTERM)
        broker.waitUntilExit()
    }
    var client: BlockingBrokerClient?
    for _ in 0..<400 where client == nil {
        client = try? BlockingBrokerClient(path: socket)
        if client == nil { usleep(25_000) }
    }
    guard let client else { throw BenchError("the broker did not start") }
    _ = try client.handshake(client: "bench")
    try client.send(.open(ref: "b", workspace: "bench", server: "echo", session: "bench"))
    let channel = try client.receive(timeout: 30) { message -> Int? in
        if case .opened("b", let channel, _, _) = message { return channel }
        return nil
    }
    func call(_ i: Int) throws {
        try client.send(.request(channel: channel, id: RequestID(i), method: "tools/call", params: echoRequest(i)))
        _ = try client.receive { message -> Bool? in
            if case .response(channel, RequestID(i), _) = message { return true }
            return nil
        }
    }
    for i in 0..<200 { try call(i) }
    // Timed like the direct pipe: the request is encoded inside the clock, the answer's frame is read but decoded
    // (and checked) only after the clock stops, as the direct path never parses its answer line.
    func timed(_ message: BrokerMessage, check: (BrokerMessage) -> Bool) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try client.send(message)
        let payload = try client.receivePayload()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard let object = try JSONParser.parse(payload).objectValue, check(try BrokerMessage(object)) else {
            throw BenchError("the broker answered something unexpected")
        }
        return elapsed
    }
    // The socket and the event loop alone: a message the broker answers without an upstream.
    brokerOnlySamples = try (0..<iterations).map { i in
        try timed(.listLeases(ref: "l\(i)")) { if case .leases = $0 { true } else { false } }
    }
    return try (0..<iterations).map { i in
        let id = RequestID(i + 1000)
        return try timed(.request(channel: channel, id: id, method: "tools/call", params: echoRequest(i))) {
            if case .response(channel, id, .result) = $0 { true } else { false }
        }
    }
}

nonisolated(unsafe) var brokerOnlySamples: [Double] = []  // written once by throughBroker(), read after it

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

if mode == "gateway" {
    try GatewayBench(iterations: iterations).run()
    exit(0)
}
let directSamples = try direct()
let brokerSamples = try throughBroker()
print(
    "Channel round trip, tools/call echo against sealgate-echo-upstream (stdio, 2025 era), \(iterations) calls each")
print("| path                                       | p50 µs   | p90 µs   | p99 µs   | calls/s    |")
print("|--------------------------------------------|----------|----------|----------|------------|")
let a = report("direct pipe to the upstream", directSamples)
let b = report("through the broker socket", brokerSamples)
let c = report("broker alone (list_leases, no upstream)", brokerOnlySamples)
print(a.line)
print(b.line)
print(c.line)
print(String(format: "added by the broker at p50: %.1f µs (goal: <= 50 µs)", (b.p50 - a.p50) * 1e6))
