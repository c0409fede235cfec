import BrokerProtocol
import Logging
import Synchronization
import Testing

@testable import Broker
@testable import Vault

/// How a connection first hears the configuration, in process: the timing that decides it (a `hello` arriving
/// before the broker's poller has made a snapshot) cannot be arranged through the socket.
struct SnapshotTests {
    /// The `hello` that is first to make the snapshot gets it once, as its answer, not also as a push; and the
    /// poller's first look at the vault, finding that generation already sent, pushes nothing.
    @Test func aHelloThatMakesTheFirstSnapshotGetsItOnce() async throws {
        let harness = try BrokerHarness()  // only its vault: the broker here runs in this process
        let home = harness.home
        let broker = try CredentialBroker(logger: Logger(label: "test")) { () throws(VaultError) -> SecretVault in
            try SecretVault.open(home: home, actor: "test") { () throws(VaultError) -> SecretValue in
                throw VaultError(.refused, "a key-file vault needs no passphrase")
            }
        }
        let sent = Mutex<[BrokerMessage]>([])
        let connection = await broker.connect { message in sent.withLock { $0.append(message) } }
        let sink = MessageSink(
            connection: connection, send: { message in sent.withLock { $0.append(message) } },
            isCongested: { false }, dropped: {})
        let answer = await broker.handle(
            .hello(protocolVersion: BrokerMessage.protocolVersion, client: "test"), connection: connection, sink: sink)
        guard case .snapshot? = answer else { throw CLIFailure("hello was not answered with a snapshot") }
        let running = Task { await broker.run() }
        try await Task.sleep(for: .milliseconds(500))  // five polls
        running.cancel()
        await running.value
        let pushed = sent.withLock { $0.filter { if case .snapshot = $0 { true } else { false } } }
        #expect(pushed.isEmpty, "\(pushed.count) more snapshots were pushed")
    }
}
