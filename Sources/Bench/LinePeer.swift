import Foundation
import MCPWire

/// A stdio-style MCP peer over raw descriptors: one JSON-RPC line out, read up to the answer's newline. The direct
/// path (pipes to the upstream) and the byte-relay path (a Unix socket to a relay) both talk this way.
final class LinePeer {
    private let writeFD: Int32
    private let readFD: Int32
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(write: Int32, read: Int32) {
        writeFD = write
        readFD = read
    }

    /// Writes one message as a line.
    func send(_ message: JSONRPCMessage) {
        let line = message.serialized + [0x0A]
        line.withUnsafeBytes { _ = write(writeFD, $0.baseAddress, $0.count) }
    }

    /// Sends a message and returns the next line read (not parsed: the clock covers the transport only).
    func roundTrip(_ message: JSONRPCMessage) throws -> [UInt8] {
        send(message)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let reply = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                return reply
            }
            let n = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            guard n > 0 else { throw BenchError("the upstream closed its end") }
            buffer += chunk[0..<n]
        }
    }

    /// The 2025-era handshake, then `warmUp` echo calls.
    func handshake(warmUp: Int = 200) throws {
        _ = try roundTrip(
            .request(
                id: RequestID(0), method: "initialize",
                params: .object([
                    "protocolVersion": "2025-11-25", "capabilities": .object([:]),
                    "clientInfo": .object(["name": "bench", "version": "1"]),
                ])))
        send(.notification(method: "notifications/initialized", params: nil))
        for i in 0..<warmUp {
            _ = try roundTrip(.request(id: RequestID(i + 1), method: "tools/call", params: echoRequest(i)))
        }
    }

    /// Times one echo call.
    func timedEcho(_ i: Int) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try roundTrip(.request(id: RequestID(i + 1000), method: "tools/call", params: echoRequest(i)))
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// The echo upstream started with our own pipes, talked to directly.
final class DirectUpstream {
    private let process = Process()
    let peer: LinePeer
    private let input = Pipe()
    private let output = Pipe()

    init() throws {
        process.executableURL = URL(fileURLWithPath: upstream)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        peer = LinePeer(
            write: input.fileHandleForWriting.fileDescriptor, read: output.fileHandleForReading.fileDescriptor)
        try peer.handshake()
    }

    deinit {
        try? input.fileHandleForWriting.close()  // end of stdin: the upstream exits
        process.waitUntilExit()
    }
}
