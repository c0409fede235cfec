import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Vault

// Usage (run by scripts/bench, which builds in release mode):
//   sealgate-bench broker [ITERATIONS]   a channel round trip through the broker vs a direct pipe and a byte relay
//   sealgate-bench relay SOCKET          the byte relay itself (started by `broker`)
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

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

if mode == "relay" {
    try ByteRelay.serve(socketPath: CommandLine.arguments[2])
}
if mode == "gateway" {
    try GatewayBench(iterations: iterations).run()
    exit(0)
}

/// The broker table. Every path is set up first and then measured in turns, a fifth of the calls per turn: the
/// host's noise drifts from one second to the next, and so it falls on every path alike. (A function, so that each
/// path's deinit stops its processes on the way out.)
func measureBroker() throws {
    let rounds = 5
    let perRound = max(1, iterations / rounds)
    let directPath = try DirectUpstream()
    let relayPath = try RelayPath(directory: FileManager.default.temporaryDirectory.path)
    let brokerPath = try BrokerPath()
    var directSamples: [Double] = []
    var relaySamples: [Double] = []
    var brokerSamples: [Double] = []
    var brokerOnlySamples: [Double] = []
    for round in 0..<rounds {
        let calls = (round * perRound)..<((round + 1) * perRound)
        directSamples += try calls.map { try directPath.peer.timedEcho($0) }
        relaySamples += try calls.map { try relayPath.peer.timedEcho($0) }
        brokerOnlySamples += try calls.map { try brokerPath.timedListLeases($0) }
        brokerSamples += try calls.map { try brokerPath.timedEcho($0) }
    }
    print(
        "Channel round trip, tools/call echo against sealgate-echo-upstream (stdio, 2025 era), "
            + "\(perRound * rounds) calls each, in \(rounds) turns")
    print("| path                                       | p50 µs   | p90 µs   | p99 µs   | calls/s    |")
    print("|--------------------------------------------|----------|----------|----------|------------|")
    let a = report("direct pipe to the upstream", directSamples)
    let r = report("through a byte relay (the floor)", relaySamples)
    let b = report("through the broker socket", brokerSamples)
    let c = report("broker alone (list_leases, no upstream)", brokerOnlySamples)
    for row in [a, r, b, c] { print(row.line) }
    print(String(format: "added by the broker at p50: %.1f µs (goal: <= 50 µs)", (b.p50 - a.p50) * 1e6))
    print(
        String(
            format: "added by a byte relay at p50: %.1f µs (two process wake-ups, no work); the broker's own: %.1f µs",
            (r.p50 - a.p50) * 1e6, (b.p50 - r.p50) * 1e6))
}

try measureBroker()
