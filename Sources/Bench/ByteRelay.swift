import Foundation

/// The floor of any broker on this host: a process that only copies bytes between a Unix-socket client and the echo
/// upstream's pipes, with the broker's topology (client → relay → upstream, a `poll` loop in the middle) and none
/// of its work (no frames, no JSON, no NIO, no masking). What it adds over the direct pipe is what the two extra
/// process wake-ups cost; what the broker adds beyond that is the broker's own.
enum ByteRelay {
    /// `sealgate-bench relay SOCKET`: serves one connection, then exits when either side closes.
    static func serve(socketPath: String) throws -> Never {
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = try unixAddress(socketPath)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(listener, 1) == 0 else { throw BenchError("the relay cannot listen on \(socketPath)") }
        let client = accept(listener, nil, nil)
        guard client >= 0 else { throw BenchError("the relay's accept failed") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: upstream)
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let toUpstream = input.fileHandleForWriting.fileDescriptor
        let fromUpstream = output.fileHandleForReading.fileDescriptor

        // Ends the relay with its upstream: the end of its stdin stops it, and waiting reaps it (an exit that left it
        // running would leave it to an init that may not reap it).
        func finish(_ status: Int32) -> Never {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            exit(status)
        }

        var watched = [pollfd(fd: client, events: Int16(POLLIN), revents: 0)]
        watched.append(pollfd(fd: fromUpstream, events: Int16(POLLIN), revents: 0))
        var bytes = [UInt8](repeating: 0, count: 65536)
        while true {
            if poll(&watched, nfds_t(watched.count), -1) < 0 {
                if errno == EINTR { continue }
                finish(1)
            }
            for entry in watched where entry.revents != 0 {
                let from = entry.fd
                let to = from == client ? toUpstream : client
                let count = bytes.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                guard count > 0 else { finish(0) }  // our client or the upstream went away
                var written = 0
                while written < count {
                    let n = bytes[written..<count].withUnsafeBytes { write(to, $0.baseAddress, $0.count) }
                    guard n > 0 else { finish(1) }
                    written += n
                }
            }
        }
    }

    static func unixAddress(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw BenchError("path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return address
    }
}

/// A byte relay process and our connection to it.
final class RelayPath {
    let peer: LinePeer
    private let relay = Process()
    private let fd: Int32
    private let path: String

    init(directory: String) throws {
        path = directory + "/relay-\(getpid()).sock"
        unlink(path)
        relay.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        relay.arguments = ["relay", path]
        try relay.run()
        var address = try ByteRelay.unixAddress(path)
        var connected: Int32?
        for _ in 0..<400 where connected == nil {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc == 0 { connected = fd } else { close(fd); usleep(25_000) }
        }
        guard let connected else {
            relay.terminate()
            throw BenchError("the byte relay did not start")
        }
        fd = connected
        peer = LinePeer(write: fd, read: fd)
        try peer.handshake()
    }

    deinit {
        close(fd)  // the relay exits, and its upstream with the end of its stdin
        relay.waitUntilExit()
        unlink(path)
    }
}
