import NIOCore
import Synchronization

/// Writes messages to a channel in the order they were handed over within each lane, serializing a heavy one on the
/// thread pool (`HeavyWork`) instead of the calling thread's event loop: the messages of its lane written after it
/// wait for it, the other lanes' go on.
///
/// Order holds whichever threads write: what is ready goes into one outbox under the lock, in the order the lock was
/// taken, and only the channel's event loop takes it out, in that order. A write made on the loop drains the outbox
/// at once (what other threads queued before it goes first); one made elsewhere has a drain scheduled on the loop.
/// A light message with nothing held costs one uncontended lock.
public final class LaneWriter<Lane: Hashable & Sendable>: Sendable {
    /// The channel written to.
    public let writer: CoalescingWriter
    private let state = Mutex(State())

    private struct State {
        var order = LaneQueue<Lane, ByteBuffer>()
        /// Ready to write, in order.
        var outbox: [ByteBuffer] = []
        var drainScheduled = false
    }

    public init(_ channel: any Channel) {
        writer = CoalescingWriter(channel)
    }

    /// How many messages wait for a heavy one's serialization (for back-pressure: a peer that floods behind a heavy
    /// message is not keeping up, whatever the socket says).
    public var held: Int { state.withLock { $0.order.waiting } }

    /// Writes what `serialize` makes: at once for a light message, after serializing on the thread pool for a heavy
    /// one (`heavy`: the caller's judgement, from `JSONValue.outweighs`).
    public func write(lane: Lane, heavy: Bool, _ serialize: @escaping @Sendable () -> ByteBuffer) {
        guard heavy else {
            let bytes = serialize()  // outside the lock: concurrent writers serialize in parallel
            let drainNow = state.withLock { state in
                if let ready = state.order.arrive(bytes, lane: lane) { state.outbox.append(ready) }
                return scheduleDrain(&state)
            }
            if drainNow { drain() }
            return
        }
        let ticket = state.withLock { $0.order.hold(lane: lane) }
        HeavyWork.run(on: writer.channel.eventLoop, serialize).whenComplete { [self] bytes in
            // On the loop. Only a pool shut down as the process stops fails: the message is dropped with the channel.
            state.withLock { $0.outbox += $0.order.finish(ticket, with: try? bytes.get()) }
            drain(flushing: true)
        }
    }

    /// Whether the caller, on the loop, drains now; off the loop, schedules one drain unless one is pending.
    private func scheduleDrain(_ state: inout State) -> Bool {
        let loop = writer.channel.eventLoop
        if loop.inEventLoop { return true }
        if !state.drainScheduled {
            state.drainScheduled = true
            loop.execute { [self] in
                self.state.withLock { $0.drainScheduled = false }
                drain(flushing: true)
            }
        }
        return false
    }

    /// Writes everything in the outbox, in order. On the loop only, so drains never overlap. A drain of its own
    /// flushes at once (a second task for the flush would cost as much as the first); one made by a write on the
    /// loop leaves the flush to `CoalescingWriter`, once for the turn.
    private func drain(flushing: Bool = false) {
        let ready = state.withLock { state in
            defer { state.outbox = [] }
            return state.outbox
        }
        guard flushing else {
            for bytes in ready { writer.write(bytes) }
            return
        }
        for bytes in ready { writer.channel.write(bytes, promise: nil) }
        if !ready.isEmpty { writer.channel.flush() }
    }
}
