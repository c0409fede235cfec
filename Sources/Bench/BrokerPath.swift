import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import Vault

/// Through the broker: a `sealgate broker` on a vault of its own, with the echo upstream installed (one injected
/// secret, so masking is on) and one channel open to it. A request frame in on the socket, the upstream over stdio,
/// a response frame out.
final class BrokerPath {
    private let directory: String
    private let broker = Process()
    private let client: BlockingBrokerClient
    private let channel: Int

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sealgate-bench-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let home = VaultHome(path: directory + "/home")
        let vault = try SecretVault.create(home: home, unlock: .keyFile, actor: "bench")
        _ = try vault.createWorkspace(name: "Bench")
        try vault.addServer(ServerDefinition(slug: "echo", transport: .stdio(command: upstream, args: [])))
        try vault.install(server: "echo", workspace: "bench")
        try vault.setSecret(
            server: "echo", name: "BENCH_TOKEN", value: SecretValue(unsafeFromString: "bench-secret-value"),
            workspace: "bench")
        let socket = directory + "/broker.sock"
        broker.executableURL = URL(fileURLWithPath: sealgate)
        broker.arguments = ["--home", home.path, "broker", "--socket", socket, "--log-level", "error"]
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        var connected: BlockingBrokerClient?
        for _ in 0..<400 where connected == nil {
            connected = try? BlockingBrokerClient(path: socket)
            if connected == nil { usleep(25_000) }
        }
        guard let connected else { throw BenchError("the broker did not start") }
        client = connected
        _ = try client.handshake(client: "bench")
        try client.send(.open(ref: "b", workspace: "bench", server: "echo", session: "bench"))
        channel = try client.receive(timeout: 30) { message -> Int? in
            if case .opened("b", let channel, _, _) = message { return channel }
            return nil
        }
        for i in 0..<200 { _ = try timedEcho(i) }
    }

    deinit {
        kill(broker.processIdentifier, SIGTERM)
        broker.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Times one echo call on the channel.
    func timedEcho(_ i: Int) throws -> Double {
        let id = RequestID(i + 1000)
        return try timed(.request(channel: channel, id: id, method: "tools/call", params: echoRequest(i))) {
            if case .response(channel, id, .result) = $0 { true } else { false }
        }
    }

    /// The socket and the event loop alone: a message the broker answers without an upstream.
    func timedListLeases(_ i: Int) throws -> Double {
        try timed(.listLeases(ref: "l\(i)")) { if case .leases = $0 { true } else { false } }
    }

    // Timed like the direct pipe: the request is encoded inside the clock, the answer's frame is read but decoded
    // (and checked) only after the clock stops, as the direct path never parses its answer line.
    private func timed(_ message: BrokerMessage, check: (BrokerMessage) -> Bool) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try client.send(message)
        let payload = try client.receivePayload()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard let object = try JSONParser.parse(payload).objectValue, check(try BrokerMessage(object)) else {
            throw BenchError("the broker answered something unexpected")
        }
        return elapsed
    }
}
