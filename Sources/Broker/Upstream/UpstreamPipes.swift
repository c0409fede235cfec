import CLinuxCalls
import Glibc
import NIOCore
import NIOPosix
import SystemPackage

/// The broker's ends of an upstream's stdin and stdout, as one NIO pipe channel on the broker's event loop, and the
/// child's ends for the spawn. Keeping both ends of a round trip on that loop is what lets a request go from the
/// broker socket to the upstream and back without a thread hand-off.
struct UpstreamPipes {
    enum Event {
        /// One stdout line (one JSON-RPC message), without its newline.
        case line([UInt8])
        /// Stdout went past `maximumLineLength` without a newline.
        case tooLong
        /// Stdout reached its end (the process closed it or exited).
        case closed
    }

    /// The longest stdout line accepted (one MCP message); past it the upstream is misbehaving and is killed.
    static let maximumLineLength = 16 << 20

    /// Writes go to the child's stdin; reads come from its stdout.
    let channel: any Channel
    let childStdin: SystemPackage.FileDescriptor
    let childStdout: SystemPackage.FileDescriptor

    /// Makes both pipes (close-on-exec, so no other child inherits the broker's ends) and registers the broker's
    /// ends on `loop`. `events` is called on `loop`.
    static func open(on loop: any EventLoop, events: @escaping @Sendable (Event) -> Void) async throws -> UpstreamPipes
    {
        let toChild = try makePipe()
        let fromChild: (read: CInt, write: CInt)
        do {
            fromChild = try makePipe()
        } catch {
            close(toChild.read)
            close(toChild.write)
            throw error
        }
        do {
            let channel = try await NIOPipeBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StdoutLineHandler(events: events))
                    }
                }
                .takingOwnershipOfDescriptors(input: fromChild.read, output: toChild.write).get()
            return UpstreamPipes(
                channel: channel, childStdin: SystemPackage.FileDescriptor(rawValue: toChild.read),
                childStdout: SystemPackage.FileDescriptor(rawValue: fromChild.write))
        } catch {
            for fd in [toChild.read, toChild.write, fromChild.read, fromChild.write] { close(fd) }
            throw error
        }
    }

    private static func makePipe() throws -> (read: CInt, write: CInt) {
        var fds: [CInt] = [-1, -1]
        guard sealgate_pipe_cloexec(&fds) == 0 else { throw Errno(rawValue: errno) }
        return (fds[0], fds[1])
    }
}

/// Cuts the upstream's stdout into lines on the event loop and reports them, its overflow and its end.
private final class StdoutLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let events: @Sendable (UpstreamPipes.Event) -> Void
    // Split on "\n" only: a JSON string may hold U+2028 and friends, which are not line ends here.
    private var lines = LineSplitter(limit: UpstreamPipes.maximumLineLength, truncate: false)
    private var finished = false

    init(events: @escaping @Sendable (UpstreamPipes.Event) -> Void) {
        self.events = events
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let buffer = unwrapInboundIn(data)
        for line in buffer.readableBytesView.withUnsafeBytes({ lines.feed($0) }) { events(.line(line)) }
        if lines.overflowed {
            finished = true
            events(.tooLong)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        events(.closed)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)  // EPIPE on stdin or a read error: the process is gone or going
    }
}
