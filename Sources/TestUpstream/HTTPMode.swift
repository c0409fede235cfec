import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--transport http`: binds 127.0.0.1 only, prints `LISTENING <port>` on stdout, logs to
/// stderr, and serves until SIGTERM or SIGINT. Stdin is ignored.
enum HTTPMode {
    static func run(_ options: Options) -> Never {
        // Either signal ends the process with status 0 at once: stdout and stderr are written
        // unbuffered, so nothing is lost, and in-flight requests are abandoned on purpose.
        signal(SIGTERM) { _ in _exit(0) }
        signal(SIGINT) { _ in _exit(0) }
        logStderr(
            "sealgate-test-upstream started pid=\(getpid()) era=\(options.eraMode.rawValue) transport=http\n")
        let router = Router(mode: options.eraMode, sseEndpointPrefix: options.sseEndpointPrefix)
        let port = options.port ?? 0
        Task.detached {
            do {
                try await serve(port: port, router: router)
            } catch {
                logStderr("sealgate-test-upstream: \(error)\n")
                exit(1)
            }
            exit(0)
        }
        dispatchMain()
    }

    private static func serve(port: Int, router: Router) async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(to: try SocketAddress(ipAddress: "127.0.0.1", port: port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return HTTPConnection(
                        channel: try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel),
                        closed: channel.closeFuture)
                }
            }
        guard let bound = listener.channel.localAddress?.port else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "bound socket has no port"])
        }
        try FileHandle.standardOutput.write(contentsOf: Data("LISTENING \(bound)\n".utf8))
        logStderr("listening on 127.0.0.1:\(bound)\n")

        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections {
                    group.addTask { await connection.serve(with: router) }
                }
            }
        }
    }
}
