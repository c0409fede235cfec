import MCPWire

/// Frames on the broker socket: a 4-byte big-endian length, then that many bytes of one JSON object (UTF-8).
///
/// Incremental and pure: feed it whatever the socket delivered, take out whole frames. A length over
/// `maximumFrameSize` loses framing, so it is fatal for the connection; a well-delimited frame that is not a valid
/// JSON object is an error for that frame only.
public struct FrameDecoder: Sendable {
    /// Large enough for a 4 MiB MCP body plus its envelope.
    public static let maximumFrameSize = 16 << 20

    public enum Failure: Error, Sendable, Equatable {
        /// The length prefix is larger than the limit: the connection must close.
        case frameTooLarge(Int)
        /// One frame's payload is not a JSON object; later frames are still readable.
        case malformedFrame(String)
    }

    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's JSON object, nil when more bytes are needed.
    public mutating func nextFrame() throws(Failure) -> JSONObject? {
        defer { compact() }
        guard let frame = try nextFrameRange() else { return nil }
        return try Self.object(buffer[frame])  // parsed in place, before `compact` moves the bytes
    }

    /// A frame's payload as the JSON object it must be.
    public static func object(_ payload: some Collection<UInt8>) throws(Failure) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(payload)
        } catch {
            throw .malformedFrame(error.description)
        }
        guard let object = value.objectValue else { throw .malformedFrame("a frame must hold a JSON object") }
        return object
    }

    /// The payload length of the next frame when all of it has arrived (to choose where to parse it), else nil.
    public var nextFrameLength: Int? {
        guard let length = announcedLength, buffer.count - start - 4 >= length else { return nil }
        return length
    }

    /// The length prefix of the next frame, once its four bytes have arrived.
    private var announcedLength: Int? {
        guard buffer.count - start >= 4 else { return nil }
        return buffer[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
    }

    /// The next complete frame's payload, undecoded; nil when more bytes are needed.
    public mutating func nextPayload() throws(Failure) -> [UInt8]? {
        defer { compact() }
        return try nextFrameRange().map { Array(buffer[$0]) }
    }

    /// Where the next complete frame's payload lies in `buffer`, consumed; nil when more bytes are needed.
    private mutating func nextFrameRange() throws(Failure) -> Range<Int>? {
        guard let length = announcedLength else { return nil }
        guard length <= Self.maximumFrameSize else { throw .frameTooLarge(length) }
        guard buffer.count - start - 4 >= length else { return nil }
        defer { start += 4 + length }
        return (start + 4)..<(start + 4 + length)
    }

    /// Drops consumed bytes once they are a good part of the buffer, to keep appends amortised O(1).
    private mutating func compact() {
        if start > 0 && (start == buffer.count || start > 64 * 1024) {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// Encodes one frame.
    public static func encode(_ object: JSONObject) -> [UInt8] {
        let payload = JSONValue.object(object).serialized
        let length = UInt32(payload.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            + payload
    }
}
