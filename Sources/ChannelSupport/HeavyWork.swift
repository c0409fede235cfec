import NIOCore
import NIOPosix

/// Parsing or serializing a large message, done on NIO's thread pool instead of an event loop.
///
/// An event loop serves many clients (the broker has one loop for everything; the gateway's loops are also its
/// concurrency executor): a 4 MiB object that takes a second to parse there holds up every other workspace's call
/// for that second. Off the loop it costs only its own CPU time, and the loops keep answering. Small messages, nearly
/// all of them, stay on the loop: a hop to another thread costs more than they do.
public enum HeavyWork {
    /// Bytes of JSON from which parsing moves off the loop.
    public static let bytes = 64 * 1024
    /// Weight (`JSONValue.outweighs`) from which serializing moves off the loop: about the same cost.
    public static let weight = 8 * 1024

    /// Runs `work` on the thread pool; the future completes on `loop`.
    public static func run<Result: Sendable>(
        on loop: any EventLoop, _ work: @escaping @Sendable () throws -> Result
    ) -> EventLoopFuture<Result> {
        NIOThreadPool.singleton.runIfActive(eventLoop: loop, work)
    }

    /// Runs `work` on the thread pool and calls `done` there with its result (nil: the pool was stopped, as the
    /// process stops), for a caller with neither an event loop nor a task to wait in.
    public static func run<Result: Sendable>(
        _ work: @escaping @Sendable () -> Result, then done: @escaping @Sendable (Result?) -> Void
    ) {
        NIOThreadPool.singleton.submit { state in done(state == .active ? work() : nil) }
    }

    /// Runs `work` on the thread pool and returns its result to the calling task.
    public static func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
