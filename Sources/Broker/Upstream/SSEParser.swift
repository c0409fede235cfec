/// An incremental `text/event-stream` parser: feed bytes as they arrive, take out complete events.
/// Only what MCP uses: `event:` and `data:` fields (multi-line data joined by newlines); comments are skipped.
///
/// Lines are split on bytes, as the format is defined on code points: a colon followed by a combining mark still
/// ends the field name (a `Character` would join the two). Each byte is looked at a bounded number of times however
/// the stream is cut into reads, and an event larger than `maximumEventSize` is dropped whole rather than held.
struct SSEParser {
    struct Event: Equatable {
        var event: String
        var data: String
    }

    /// Larger than any JSON body the broker reads (16 MiB).
    static let maximumEventSize = 16 << 20

    /// The bytes of the line not yet ended by a newline.
    private var buffer: [UInt8] = []
    private var event = ""
    private var data: [String] = []
    /// The bytes of the event's lines so far, without their line ends (comments and other fields too): what the limit
    /// applies to.
    private var eventSize = 0
    /// Set when the event being read went over the limit: lines are skipped until the blank line that ends it.
    private var discarding = false
    /// Set when the unfinished line itself went over the limit and was dropped: its end is not a line of its own.
    private var lineDropped = false
    private let maximumEventSize: Int

    init(maximumEventSize: Int = SSEParser.maximumEventSize) {
        self.maximumEventSize = maximumEventSize
    }

    mutating func feed(_ bytes: some BidirectionalCollection<UInt8>) -> [Event] {
        var events: [Event] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        while let newline = bytes[index...].firstIndex(of: 0x0A) {
            if lineDropped {
                lineDropped = false
            } else if buffer.isEmpty {
                line(bytes[lineStart..<newline], into: &events)
            } else {
                buffer += bytes[lineStart..<newline]
                let whole = buffer
                buffer = []
                line(whole[...], into: &events)
            }
            index = bytes.index(after: newline)
            lineStart = index
        }
        // The unfinished line so far, less a CR that may be its end: never more than it will count once ended.
        var pending = buffer.count + bytes.distance(from: lineStart, to: bytes.endIndex)
        if pending > 0 && (lineStart == bytes.endIndex ? buffer.last : bytes.last) == 0x0D { pending -= 1 }
        if lineDropped || eventSize + pending > maximumEventSize {
            discard()
            lineDropped = true
        } else {
            buffer += bytes[lineStart...]
        }
        return events
    }

    /// One line without its LF (a CR before it is dropped here).
    private mutating func line<Line: BidirectionalCollection<UInt8>>(_ line: Line, into events: inout [Event]) {
        var line = line[...]
        if line.last == 0x0D { line = line.dropLast() }
        if line.isEmpty {
            if !data.isEmpty && !discarding {
                events.append(Event(event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n")))
            }
            (event, data, eventSize, discarding) = ("", [], 0, false)
            return
        }
        eventSize += line.count
        if eventSize > maximumEventSize { discard() }
        guard !discarding, line.first != UInt8(ascii: ":") else { return }  // a comment, or the rest of a big event
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var value = colon == line.endIndex ? line[colon...] : line[line.index(after: colon)...]
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch String(decoding: line[..<colon], as: UTF8.self) {
        case "event":
            event = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(String(decoding: value, as: UTF8.self))
        default:
            break
        }
    }

    /// Drops the event being read, and the rest of it up to its blank line.
    private mutating func discard() {
        (buffer, event, data, eventSize, discarding) = ([], "", [], 0, true)
    }
}
