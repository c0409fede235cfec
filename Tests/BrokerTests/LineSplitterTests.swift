import Testing

@testable import Broker

/// Over-long stderr lines are cut once, and what follows the cut never comes back as a line of its own: a secret
/// split by the cut would otherwise reach the log in two unmasked pieces.
struct LineSplitterTests {
    @Test func theRestOfACutLineIsDroppedUpToItsNewline() {
        var splitter = LineSplitter(limit: 16, truncate: true)
        var lines: [[UInt8]] = []
        for chunk in ["0123456789", "abcdefghij", "SECRET-TAIL-MORE", "-still\nnext\n"] {
            lines += Array(chunk.utf8).withUnsafeBytes { splitter.feed($0) }
        }
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["0123456789abcdef", "next"])
    }

    @Test func aShortLineAfterACutLineInTheSameReadIsKept() {
        var splitter = LineSplitter(limit: 4, truncate: true)
        let lines = Array("abcdefgh\nok\n".utf8).withUnsafeBytes { splitter.feed($0) }
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["abcdefgh", "ok"])
    }
}
