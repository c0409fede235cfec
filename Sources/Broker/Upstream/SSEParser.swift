/// An incremental `text/event-stream` parser: feed bytes as they arrive, take out complete events.
/// Only what MCP uses: `event:` and `data:` fields (multi-line data joined by newlines); comments are skipped.
struct SSEParser {
    struct Event: Equatable {
        var event: String
        var data: String
    }

    private var buffer: [UInt8] = []
    private var event = ""
    private var data: [String] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            var line = buffer[..<newline]
            if line.last == 0x0D { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            buffer.removeFirst(newline + 1)
            if text.isEmpty {
                if !data.isEmpty {
                    events.append(Event(event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n")))
                }
                event = ""
                data = []
            } else if text.hasPrefix(":") {
                continue
            } else {
                let (field, value) = Self.split(text)
                switch field {
                case "event": event = value
                case "data": data.append(value)
                default: break
                }
            }
        }
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
