import BrokerProtocol
import Glibc
import MCPWire
import SocketTrust

/// A synchronous connection to the broker socket: send a message, read the next one. For command-line tools and
/// tests; a gateway wants an asynchronous client.
public final class BlockingBrokerClient {
    private let fd: Int32
    /// Seconds a write may wait for the broker to read.
    private let writeTimeout: Int
    private var decoder = FrameDecoder()
    private var buffered: [BrokerMessage] = []

    /// Connects to the socket at `path`. A write that the broker does not read within `writeTimeout` seconds fails
    /// (reads have their own timeouts). Refuses a socket another user could have put there (`SocketPlacement`) and a
    /// broker that runs as another user.
    public init(path: String, writeTimeout: Int = 30) throws(BrokerClientError) {
        self.writeTimeout = writeTimeout
        if let problem = SocketPlacement.problem(with: path) {
            throw BrokerClientError(
                "refusing the broker socket \(path): \(problem)",
                remedy: "keep the socket in a directory only you can write (the default is HOME/broker.sock)")
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrokerClientError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw BrokerClientError("the socket path is too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw BrokerClientError(
                "cannot connect to the broker at \(path): \(reason)",
                remedy: "start it with `sealgate broker` (or `sealgate serve`)")
        }
        if let refusal = PeerCredentials.refusal(ofBrokerAt: path, socket: fd) {
            close(fd)
            throw BrokerClientError(
                "refusing the broker: \(refusal)", remedy: "start your own broker with `sealgate broker` (or `serve`)")
        }
        var limit = timeval(tv_sec: writeTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
    }

    public func send(_ message: BrokerMessage) throws(BrokerClientError) {
        try sendRaw(message.frame)
    }

    /// Writes bytes as they are (tests use it for malformed frames).
    public func sendRaw(_ bytes: [UInt8]) throws(BrokerClientError) {
        var offset = 0
        while offset < bytes.count {
            // send with MSG_NOSIGNAL: a broker that went away is an error to report, not a SIGPIPE that kills the caller.
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw BrokerClientError("the broker read nothing for \(writeTimeout) s")
            }
            guard n > 0 else { throw BrokerClientError("the broker closed the connection") }
            offset += n
        }
    }

    /// The next message, waiting at most `timeout` seconds.
    public func receive(timeout: Double = 10) throws(BrokerClientError) -> BrokerMessage {
        if !buffered.isEmpty { return buffered.removeFirst() }
        while true {
            do {
                if let object = try decoder.nextFrame() {
                    do {
                        return try BrokerMessage(object)
                    } catch {
                        throw BrokerClientError("the broker sent an unreadable message: \(error.message)")
                    }
                }
            } catch {
                throw BrokerClientError("the broker sent a bad frame: \(error)")
            }
            try readMore(timeout: timeout)
        }
    }

    /// The next frame's payload as it came, undecoded (for measuring the transport alone); waits at most `timeout`
    /// seconds. Messages already decoded by `receive(_:)` and kept for later are not returned here.
    public func receivePayload(timeout: Double = 10) throws(BrokerClientError) -> [UInt8] {
        while true {
            do {
                if let payload = try decoder.nextPayload() { return payload }
            } catch {
                throw BrokerClientError("the broker sent a bad frame: \(error)")
            }
            try readMore(timeout: timeout)
        }
    }

    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    private func readMore(timeout: Double) throws(BrokerClientError) {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(timeout * 1000))
        guard ready > 0 else { throw BrokerClientError("no answer from the broker within \(timeout) s") }
        let n = readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw BrokerClientError("the broker closed the connection") }
        decoder.append(readBuffer[0..<n])
    }

    /// Receives until `match` accepts a message, for at most `timeout` seconds in all (a stream of other messages does
    /// not extend it); others are kept for later `receive` calls.
    public func receive<T>(timeout: Double = 10, _ match: (BrokerMessage) -> T?) throws(BrokerClientError) -> T {
        var skipped: [BrokerMessage] = []
        defer { buffered = skipped + buffered }
        let deadline = monotonicSeconds() + timeout
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else { throw BrokerClientError("no matching answer from the broker within \(timeout) s") }
            let message = try receive(timeout: left)
            if let value = match(message) { return value }
            skipped.append(message)
        }
    }

    private func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Says hello, takes the welcome, and returns the first snapshot.
    public func handshake(client: String) throws(BrokerClientError) -> ConfigSnapshot {
        try send(.hello(protocolVersion: BrokerMessage.protocolVersion, client: client))
        let welcome = try receive(timeout: 10)
        switch welcome {
        case .welcome: break
        case .failure(_, _, _, let message): throw BrokerClientError("the broker refused: \(message)")
        default: throw BrokerClientError("the broker answered hello with something other than welcome")
        }
        return try receive { message -> ConfigSnapshot? in
            if case .snapshot(let snapshot) = message { return snapshot }
            return nil
        }
    }
}

/// A failure to talk to the broker, with what to do about it.
public struct BrokerClientError: Error, CustomStringConvertible {
    public let message: String
    public let remedy: String?
    init(_ message: String, remedy: String? = nil) {
        (self.message, self.remedy) = (message, remedy)
    }
    public var description: String { remedy.map { "\(message); \($0)" } ?? message }
}
