import Foundation
import MCPWire

/// A deliberately plain HTTP/1.1 client over a loopback socket, so tests see exactly what the gateway sends:
/// status, headers and bytes, and server-sent events as they arrive.
enum HTTP {
    struct Response: Sendable {
        let status: Int
        let headers: [(String, String)]
        let body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as JSON (for `application/json`) or the last `data:` event (for `text/event-stream`).
        var json: JSONValue? {
            if header("Content-Type")?.hasPrefix("text/event-stream") == true {
                let data = text.split(separator: "\n").filter { $0.hasPrefix("data: ") }.last
                return data.flatMap { try? JSONParser.parse(String($0.dropFirst(6))) }
            }
            return try? JSONParser.parse(body)
        }
    }

    /// One request on a fresh connection (`Connection: close`), read to the end.
    static func request(
        port: Int, _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Double = 30
    ) throws -> Response {
        let connection = try Connection(port: port)
        try connection.send(method, path, headers: headers + [("Connection", "close")], body: body)
        return try connection.readResponse(timeout: timeout)
    }

    /// A POST of a JSON-RPC message with the headers a client of `era` sends.
    static func post(
        port: Int, _ path: String, token: String?, _ message: String, headers: [(String, String)] = [],
        timeout: Double = 30
    ) throws -> Response {
        var all = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        if let token { all.append(("Authorization", "Bearer \(token)")) }
        return try request(
            port: port, "POST", path, headers: all + headers, body: Array(message.utf8), timeout: timeout)
    }

    /// The modern envelope for params, as a JSON fragment to splice in.
    static let envelope = envelope(capabilities: "{}")

    /// The modern envelope declaring `capabilities` (a JSON object's text).
    static func envelope(capabilities: String) -> String {
        #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":\#(capabilities)}"#
    }

    /// A 2026-07-28 request with its envelope (declaring `capabilities`) and mirrored headers.
    static func modern(
        port: Int, _ path: String, token: String?, id: Int = 1, method: String, params: String = "",
        name: String? = nil, capabilities: String = "{}", timeout: Double = 30
    ) throws -> Response {
        let envelope = envelope(capabilities: capabilities)
        let inner = params.isEmpty ? envelope : params + "," + envelope
        var headers = [("MCP-Protocol-Version", "2026-07-28"), ("Mcp-Method", method)]
        if let name { headers.append(("Mcp-Name", name)) }
        return try post(
            port: port, path, token: token,
            #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":{\#(inner)}}"#, headers: headers,
            timeout: timeout)
    }

    /// A socket to the gateway.
    final class Connection {
        let fd: Int32
        private var buffer: [UInt8] = []

        /// Connects from `source` (another loopback address, such as 127.0.0.2, plays another peer).
        init(port: Int, from source: String? = nil) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if let source {
                var local = sockaddr_in()
                local.sin_family = sa_family_t(AF_INET)
                local.sin_addr.s_addr = inet_addr(source)
                let bound = withUnsafePointer(to: &local) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard bound == 0 else {
                    close(fd)
                    throw HarnessError("cannot bind to \(source)")
                }
            }
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
                throw HarnessError("cannot connect to 127.0.0.1:\(port)")
            }
        }

        deinit { close(fd) }

        func send(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8]) throws {
            var head = "\(method) \(path) HTTP/1.1\r\n"
            if !headers.contains(where: { $0.0.lowercased() == "host" }) { head += "Host: 127.0.0.1\r\n" }
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\n\r\n"
            try write(Array(head.utf8) + body)
        }

        /// Sends a 2026-07-28 `tools/call` of `tool` (the whole JSON-RPC `body`) with its mirrored headers; the
        /// answer is left to read.
        func sendModernCall(_ path: String, token: String, tool: String, body: String) throws {
            try send(
                "POST", path,
                headers: [
                    ("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"),
                    ("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2026-07-28"),
                    ("Mcp-Method", "tools/call"), ("Mcp-Name", tool),
                ], body: Array(body.utf8))
        }

        func write(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                guard n > 0 else { throw HarnessError("write failed") }
                offset += n
            }
        }

        /// Reads more bytes; false at end of stream or timeout.
        private func fill(timeout: Double) throws -> Bool {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { throw HarnessError("timed out reading") }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return false }
            buffer += chunk[0..<n]
            return true
        }

        private func line(timeout: Double) throws -> String? {
            while true {
                if let index = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<index], as: UTF8.self)
                    buffer.removeFirst(index + 1)
                    return line.hasSuffix("\r") ? String(line.dropLast()) : line
                }
                guard try fill(timeout: timeout) else { return nil }
            }
        }

        /// The status line and headers.
        func readHead(timeout: Double) throws -> (Int, [(String, String)]) {
            guard let statusLine = try line(timeout: timeout), let status = Int(statusLine.split(separator: " ")[1])
            else { throw HarnessError("no status line") }
            var headers: [(String, String)] = []
            while let line = try line(timeout: timeout), !line.isEmpty {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers.append((String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : ""))
            }
            return (status, headers)
        }

        /// A whole response: by Content-Length, chunked, or to the end of the connection.
        func readResponse(timeout: Double) throws -> Response {
            let (status, headers) = try readHead(timeout: timeout)
            let lookup = { (name: String) in headers.first { $0.0.lowercased() == name }?.1 }
            var body: [UInt8] = []
            if let length = lookup("content-length").flatMap(Int.init) {
                while buffer.count < length { guard try fill(timeout: timeout) else { break } }
                body = Array(buffer.prefix(length))
                buffer.removeFirst(min(length, buffer.count))
            } else if lookup("transfer-encoding")?.lowercased() == "chunked" {
                while let sizeLine = try line(timeout: timeout), let size = Int(sizeLine, radix: 16) {
                    if size == 0 { break }
                    while buffer.count < size + 2 { guard try fill(timeout: timeout) else { break } }
                    body += buffer.prefix(size)
                    buffer.removeFirst(min(size + 2, buffer.count))
                }
            } else {
                while try fill(timeout: timeout) {}
                body = buffer
            }
            return Response(status: status, headers: headers, body: body)
        }

        /// Everything until the peer closes the connection.
        func readToEnd(timeout: Double) throws -> [UInt8] {
            while try fill(timeout: timeout) {}
            defer { buffer = [] }
            return buffer
        }

        /// The next server-sent event's `data` (JSON), skipping comments; nil when the stream ends.
        func nextEvent(timeout: Double) throws -> JSONValue? {
            try nextEventData(timeout: timeout).map { try JSONParser.parse($0) }
        }

        /// The next server-sent event's `data` as sent (the `endpoint` event of `/sse` carries a path, not JSON).
        func nextEventData(timeout: Double) throws -> String? {
            var data = ""
            while let line = try line(timeout: timeout) {
                if line == "0" && data.isEmpty { return nil }  // the last chunk: the response (stream) ended
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
                if line.isEmpty && !data.isEmpty { return data }
                // chunk-size lines and comments are skipped: a chunked SSE body is read line by line
            }
            return nil
        }
    }
}
