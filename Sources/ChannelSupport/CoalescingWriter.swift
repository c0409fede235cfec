import NIOCore

/// Writes to a channel and flushes once after everything written in the same turn of its event loop, so that
/// messages produced together (concurrent requests read in one wake-up, or several answers in one upstream read)
/// leave in one syscall and wake the peer once, instead of once each. A lone message waits only for the tasks
/// already queued on the loop.
public final class CoalescingWriter: @unchecked Sendable {
    // `@unchecked`: `flushQueued` is read and written on the channel's event loop only.
    /// The channel written to (for closing it).
    public let channel: any Channel
    private var flushQueued = false

    public init(_ channel: any Channel) {
        self.channel = channel
    }

    public func write(_ buffer: ByteBuffer) {
        let loop = channel.eventLoop
        guard loop.inEventLoop else {
            // Off the loop: the write and its flush are queued behind any flush already queued, so order holds.
            channel.writeAndFlush(buffer, promise: nil)
            return
        }
        channel.write(buffer, promise: nil)
        guard !flushQueued else { return }
        flushQueued = true
        loop.execute { [self] in
            flushQueued = false
            channel.flush()
        }
    }
}
