import Testing

@testable import Broker

/// The broker's reader of an HTTP upstream's `text/event-stream` bodies.
struct SSEParserTests {
    /// Found by fuzz-sse: the colon that ends a field name was searched for as a `Character`, and a colon followed by
    /// a combining mark is one `Character` with it, so `event:` + U+06DA was not an event name and `data:` + U+0301
    /// not data.
    @Test func aColonBeforeACombiningMarkStillEndsTheFieldName() {
        var parser = SSEParser()
        let events = parser.feed(Array("event:\u{6DA}x\ndata:\u{301}y\n: comment\n\n".utf8))
        #expect(events == [SSEParser.Event(event: "\u{6DA}x", data: "\u{301}y")])
        var comments = SSEParser()
        #expect(comments.feed(Array(":\u{301}not a field\ndata: z\n\n".utf8)) == [.init(event: "message", data: "z")])
    }

    @Test func eventsDoNotDependOnHowTheStreamIsCut() {
        let stream = Array("event: endpoint\r\ndata: /m?s=1\r\n\r\n: ping\ndata: a\ndata:b\n\nid: 3\ndata: é😀\n\n".utf8)
        var whole = SSEParser()
        let expected = whole.feed(stream)
        #expect(expected.map(\.data) == ["/m?s=1", "a\nb", "é😀"] && expected.first?.event == "endpoint")
        for step in 1...7 {
            var parser = SSEParser()
            var events: [SSEParser.Event] = []
            for start in stride(from: 0, to: stream.count, by: step) {
                events += parser.feed(stream[start..<min(start + step, stream.count)])
            }
            #expect(events == expected, "cut every \(step) bytes")
        }
    }

    /// An upstream's event over the limit is dropped whole, and the events after it still arrive: before, one
    /// endless line grew the broker's memory without bound.
    @Test func anEventOverTheLimitIsDroppedWholeAndTheNextOneArrives() {
        var parser = SSEParser(maximumEventSize: 64)
        let big = "data: " + String(repeating: "x", count: 100) + "\n"
        var events = parser.feed(Array("data: first part\n".utf8))
        for byte in big.utf8 { events += parser.feed([byte]) }  // the unfinished line goes over the limit
        events += parser.feed(Array("data: after the big line, same event\n\ndata: next\n\n".utf8))
        #expect(events == [.init(event: "message", data: "next")])
        var many = SSEParser(maximumEventSize: 64)
        let lines = String(repeating: "data: 0123456789\n", count: 10) + "\n" + "data: small\n\n"
        #expect(many.feed(Array(lines.utf8)) == [.init(event: "message", data: "small")])
    }

    /// Many short lines in one read are taken in one pass: before, each line moved the rest of the buffer.
    @Test(.timeLimit(.minutes(1))) func aLargeReadOfShortLinesIsLinear() {
        let count = 200_000
        let stream = Array(String(repeating: "data: x\n\n", count: count).utf8)
        var parser = SSEParser()
        let clock = ContinuousClock()
        let started = clock.now
        #expect(parser.feed(stream).count == count)
        #expect(clock.now - started < .seconds(20))
    }
}
