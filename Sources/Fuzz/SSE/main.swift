import FuzzDriver

// fuzz-sse: the broker's parser of an HTTP upstream's `text/event-stream` bodies (scripts/fuzz fuzz-sse SECONDS).
// SSEParser.swift is the broker's own file, linked here (a symbolic link) so this target needs no other part of
// the broker. The first input byte chooses how the rest is cut into reads and a small size limit. Invariants: no
// crash; the events do not depend on how the bytes were cut; they are what a plain reading of the lines gives; an
// event over the limit is dropped whole.

/// Feeds `bytes` in reads of at most `step` bytes (all at once for 0).
func parse(_ bytes: ArraySlice<UInt8>, step: Int, limit: Int = SSEParser.maximumEventSize) -> [SSEParser.Event] {
    var parser = SSEParser(maximumEventSize: limit)
    var events: [SSEParser.Event] = []
    var offset = bytes.startIndex
    repeat {
        let end = step == 0 ? bytes.endIndex : min(offset + step, bytes.endIndex)
        events += parser.feed(bytes[offset..<end])
        offset = end
    } while offset < bytes.endIndex
    return events
}

/// The same subset of the format read line by line: LF or CRLF ends a line, a blank line ends an event, `:` starts a
/// comment, one space after the field's colon is dropped, only `event` and `data` count; an event whose lines (without
/// their line ends) add up to more than `limit` bytes is dropped.
func reference(_ bytes: ArraySlice<UInt8>, limit: Int = .max) -> [SSEParser.Event] {
    var events: [SSEParser.Event] = []
    var (event, data, size) = ("", [String](), 0)
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    lines.removeLast()  // after the last LF: an unfinished line
    for var line in lines {
        if line.last == 0x0D { line = line.dropLast() }
        if line.isEmpty {
            if !data.isEmpty && size <= limit {
                events.append(.init(event: event.isEmpty ? "message" : event, data: data.joined(separator: "\n")))
            }
            (event, data, size) = ("", [], 0)
            continue
        }
        size += line.count
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var value = line[colon...].dropFirst()
        if value.first == 0x20 { value = value.dropFirst() }
        switch String(decoding: line[..<colon], as: UTF8.self) {
        case "event": event = String(decoding: value, as: UTF8.self)
        case "data": data.append(String(decoding: value, as: UTF8.self))
        default: break
        }
    }
    return events
}

func fuzzOne(_ input: UnsafeBufferPointer<UInt8>) {
    guard let first = input.first else { return }
    let bytes = Array(input)[1...]
    let whole = parse(bytes, step: 0)
    precondition(whole == parse(bytes, step: Int(first % 7) + 1), "events depend on how the bytes were cut")
    precondition(whole == reference(bytes), "events differ from a plain reading of the lines")
    // Events over a small limit are dropped whole, however the bytes were cut.
    let limit = Int(first % 64) + 1
    let bounded = parse(bytes, step: 0, limit: limit)
    precondition(bounded == parse(bytes, step: Int(first % 5) + 1, limit: limit), "the limit depends on the cuts")
    precondition(bounded == reference(bytes, limit: limit), "the limit dropped other events than it should")
}

runFuzzer(fuzzOne)
