import NIOCore
import NIOHTTP1

/// Writes HTTP/1.1 responses as bytes: the head and a whole body in one buffer (one `write`), or a head for a
/// chunked stream and its chunks.
///
/// The gateway encodes its own responses instead of running NIO's response encoder, pipelining handler, error
/// handler and header validator: four handlers and a boxed value per part on every call, and a pair of
/// `epoll_ctl` calls per request from the pipelining handler holding reads back. `ExchangeHandler` does their
/// work itself: answers in order, 400 for a request that cannot be parsed, no CR or LF in a header.
enum ResponseEncoding {
    /// A complete response; the body is left out for HEAD but still counted in `Content-Length`.
    static func full(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], version: HTTPVersion, keepAlive: Bool,
        omitBody: Bool
    ) -> ByteBuffer? {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(256 + body.count)
        guard writeHead(status: status, headers: headers, version: version, into: &buffer) else { return nil }
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\n")
        writeConnection(version: version, keepAlive: keepAlive, into: &buffer)
        buffer.writeStaticString("\r\n")
        if !omitBody { buffer.writeBytes(body) }
        return buffer
    }

    /// The head of a stream: chunked on HTTP/1.1; on HTTP/1.0 the body runs until the connection closes.
    static func streamHead(headers: HTTPHeaders, version: HTTPVersion, keepAlive: Bool) -> ByteBuffer? {
        var buffer = ByteBuffer()
        guard writeHead(status: .ok, headers: headers, version: version, into: &buffer) else { return nil }
        if isChunked(version) {
            buffer.writeStaticString("Transfer-Encoding: chunked\r\n")
            if !keepAlive { buffer.writeStaticString("Connection: close\r\n") }
        } else {
            buffer.writeStaticString("Connection: close\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// One piece of a stream's body.
    static func chunk(_ text: String, version: HTTPVersion) -> ByteBuffer {
        var buffer = ByteBuffer()
        guard isChunked(version) else {
            buffer.writeString(text)
            return buffer
        }
        buffer.writeString(String(text.utf8.count, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The end of a stream's body (nothing on HTTP/1.0, where closing the connection ends it).
    static func streamEnd(version: HTTPVersion) -> ByteBuffer? {
        isChunked(version) ? ByteBuffer(staticString: "0\r\n\r\n") : nil
    }

    /// The answer to a request that could not be parsed; the connection closes after it.
    static let badRequest = ByteBuffer(
        staticString: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    /// The answer when an endpoint produced a header that cannot be sent.
    static let internalError = ByteBuffer(
        staticString: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    private static func isChunked(_ version: HTTPVersion) -> Bool {
        version.major > 1 || (version.major == 1 && version.minor >= 1)
    }

    /// The status line and the headers, without the blank line; false when a header is not fit to send.
    private static func writeHead(
        status: HTTPResponseStatus, headers: HTTPHeaders, version: HTTPVersion, into buffer: inout ByteBuffer
    ) -> Bool {
        buffer.writeStaticString(version.minor == 0 && version.major == 1 ? "HTTP/1.0 " : "HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for (name, value) in headers {
            // The framing headers are this encoder's own.
            if name.utf8.count == 14, name.lowercased() == "content-length" { continue }
            if name.utf8.count == 17, name.lowercased() == "transfer-encoding" { continue }
            if name.utf8.count == 10, name.lowercased() == "connection" { continue }
            guard isToken(name), isFieldValue(value) else { return false }
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        return true
    }

    private static func writeConnection(version: HTTPVersion, keepAlive: Bool, into buffer: inout ByteBuffer) {
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if !isChunked(version) {
            buffer.writeStaticString("Connection: keep-alive\r\n")  // HTTP/1.0 closes unless told otherwise
        }
    }

    /// RFC 9110 token characters: a header name.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    /// A header value: no control characters but tab, so no CR or LF that would split the response.
    static func isFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }
}
