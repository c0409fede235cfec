import Foundation

/// One HTTP/1.1 keep-alive connection on loopback, as a fast MCP client uses it: a request, its whole answer
/// (by Content-Length or chunked, JSON or an event stream), the next request on the same socket.
final class KeepAliveClient: @unchecked Sendable {
    // `@unchecked`: each instance is used by one thread at a time.
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// The `Mcp-Session-Id` a 2025-era server gave, sent on later requests.
    var session: String?

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw BenchError("cannot connect to port \(port)")
        }
    }

    deinit { close(fd) }

    /// GET `path`; returns the status.
    func get(_ path: String) throws -> Int {
        try send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return try readResponse().status
    }

    /// POSTs a JSON body; returns the response body as text.
    func post(_ path: String, headers: [(String, String)], body: String) throws -> String {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += "Accept: application/json, text/event-stream\r\nContent-Length: \(body.utf8.count)\r\n"
        if let session { head += "Mcp-Session-Id: \(session)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try send(head + "\r\n" + body)
        let response = try readResponse()
        if let id = response.headers["mcp-session-id"] { session = id }
        return String(decoding: response.body, as: UTF8.self)
    }

    /// GETs an event stream and reads only its head: the connection then stays with the stream.
    func openStream(_ path: String, headers: [(String, String)]) throws -> Int {
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if let session { head += "Mcp-Session-Id: \(session)\r\n" }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        try send(head + "\r\n")
        let statusLine = try line()
        while try !line().isEmpty {}
        return Int(statusLine.split(separator: " ")[1]) ?? 0
    }

    private func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("write failed") }
            offset += n
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw BenchError("the server closed the connection") }
        buffer += chunk[0..<n]
    }

    private func line() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<index])
                buffer.removeFirst(index + 1)
                if line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
    }

    private func readResponse() throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let statusLine = try line()
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        while case let header = try line(), !header.isEmpty {
            let parts = header.split(separator: ":", maxSplits: 1)
            headers[parts[0].lowercased()] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
        }
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            while buffer.count < length { try fill() }
            body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
        } else if headers["transfer-encoding"] == "chunked" {
            while let size = Int(try line(), radix: 16), size > 0 {
                while buffer.count < size + 2 { try fill() }
                body += buffer.prefix(size)
                buffer.removeFirst(size + 2)
            }
            _ = try line()
        }
        return (status, headers, body)
    }
}

/// mcp-proxy 0.13.0 (PyPI) serving the same upstream over Streamable HTTP: the reference peer.
struct MCPProxy: Sendable {
    let port: Int
    let process: Process

    static func start(interop: String, upstream: String) throws -> MCPProxy {
        let executable = interop + "/proxy/bin/mcp-proxy"
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw BenchError("no mcp-proxy") }
        let port = Int.random(in: 20_000...40_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--port", "\(port)", "--host", "127.0.0.1", "--log-level", "ERROR", "--", upstream,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let client = try? KeepAliveClient(port: port), (try? client.get("/status")) != nil {
                return MCPProxy(port: port, process: process)
            }
            usleep(50_000)
        }
        process.terminate()
        throw BenchError("mcp-proxy did not start")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// A 2025-era session: initialize, then initialized.
    @Sendable func session(_ client: KeepAliveClient) throws {
        _ = try client.post(
            "/mcp", headers: [],
            body:
                #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
        )
        _ = try client.post(
            "/mcp", headers: [("MCP-Protocol-Version", "2025-11-25")],
            body: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    }

    @Sendable func call(_ client: KeepAliveClient, _ id: Int) throws {
        let reply = try client.post(
            "/mcp", headers: [("MCP-Protocol-Version", "2025-11-25")],
            body:
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo","arguments":{"text":"ping \#(id)"}}}"#
        )
        guard reply.contains("ping \(id)") else { throw BenchError("unexpected answer: \(reply.prefix(200))") }
    }
}
