import ChannelSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// What `LaneWriter` writes reaches the peer in each lane's order, while a heavy message is serialized off the loop.
@Suite struct LaneWriterTests {
    @Test(.timeLimit(.minutes(1)))
    func aHeavyMessageHoldsItsLaneAndLetsTheOthersGoFirst() async throws {
        let peer = try await Peer.start()
        defer { peer.stop() }
        let writer = LaneWriter<Int>(peer.client)
        let loop = peer.client.eventLoop
        let serializedOn = Mutex<Bool?>(nil)
        writer.write(lane: 1, heavy: true) {
            serializedOn.withLock { $0 = loop.inEventLoop }
            Thread.sleep(forTimeInterval: 0.3)  // a 4 MiB object takes about as long
            return ByteBuffer(string: "request;")
        }
        writer.write(lane: 1, heavy: false) { ByteBuffer(string: "cancel;") }
        writer.write(lane: 2, heavy: false) { ByteBuffer(string: "other;") }
        #expect(try await peer.read(until: "cancel;") == "other;request;cancel;")
        #expect(serializedOn.withLock { $0 } == false)
    }

    /// A message handed over off the loop, then one handed over on the loop while the first waits for the loop to
    /// write it: the second must not overtake the first (a request sent from one loop, its cancellation from another).
    @Test(.timeLimit(.minutes(1)))
    func aWriteOnTheLoopDoesNotOvertakeOneMadeElsewhereBeforeIt() async throws {
        let peer = try await Peer.start()
        defer { peer.stop() }
        let writer = LaneWriter<Int>(peer.client)
        let elsewhereDone = DispatchSemaphore(value: 0)
        peer.client.eventLoop.execute {
            // On the loop, which is busy here: the other thread's write can only be queued for it.
            Thread {
                writer.write(lane: 1, heavy: false) { ByteBuffer(string: "request;") }
                elsewhereDone.signal()
            }.start()
            elsewhereDone.wait()
            writer.write(lane: 1, heavy: false) { ByteBuffer(string: "cancel;") }
        }
        #expect(try await peer.read(until: "cancel;", orAny: "request;") == "request;cancel;")
    }

    @Test(.timeLimit(.minutes(1)))
    func lightMessagesFromTheLoopAndFromElsewhereKeepTheirOrder() async throws {
        let peer = try await Peer.start()
        defer { peer.stop() }
        let writer = LaneWriter<Int>(peer.client)
        for n in 0..<50 { writer.write(lane: 0, heavy: n % 10 == 0) { ByteBuffer(string: "\(n);") } }
        let expected = (0..<50).map { "\($0);" }.joined()
        #expect(try await peer.read(until: "49;") == expected)
    }
}

/// A connected pair of Unix sockets: `client` is written, and what arrives at the other end is collected.
private struct Peer {
    let client: any Channel
    let server: any Channel
    let received: Received
    let directory: String

    final class Received: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let text = Mutex("")
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            text.withLock { $0 += String(buffer: buffer) }
        }
    }

    static func start() async throws -> Peer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lanes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let received = Received()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(received) }
            }
            .bind(unixDomainSocketPath: directory + "/s").get()
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: directory + "/s").get()
        return Peer(client: client, server: server, received: received, directory: directory)
    }

    /// Waits until what arrived ends with `suffix` (or with `other`, once both have arrived), and returns it.
    func read(until suffix: String, orAny other: String? = nil) async throws -> String {
        while true {
            let text = received.text.withLock { $0 }
            if text.hasSuffix(suffix) { return text }
            if let other, text.contains(suffix), text.hasSuffix(other) { return text }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func stop() {
        client.close(promise: nil)
        server.close(promise: nil)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
