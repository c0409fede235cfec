import MCPWire

/// The lane a frame travels in, read from a payload's bytes without parsing it: a large frame is parsed off the
/// event loop, and the frames of its lane that follow it must wait for it (`LaneQueue`), while other lanes go on.
///
/// A frame naming a channel is in that channel's lane (a request before its cancellation, everything before the
/// channel's `close`). One naming only a `ref` (`open`, `authenticate`, `renew`, …, and their answers) is in a lane
/// of its own: nothing waits for another ref's answer, so one workspace's large `open` holds up no one else's token
/// checks. The rest (`hello`, `welcome`, snapshots, usage) share the control lane.
///
/// Both ends write `type`, then `channel` or `ref`, first (BrokerMessage+JSON), so this reads a few dozen bytes; a
/// payload that puts them later is scanned value by value, without building anything, within its first `scanLimit`
/// bytes. A frame whose lane this cannot read there (an escaped key, too far in) is in the control lane: a misplaced
/// lane costs order, never who receives what.
public enum FrameLane: Hashable, Sendable {
    case channel(Int)
    case ref(String)
    case control

    public static func of(_ payload: some Collection<UInt8>) -> FrameLane {
        var scanner = Scanner(bytes: Array(payload.prefix(scanLimit)))
        return scanner.lane() ?? .control
    }

    /// How far into a payload the scan looks.
    static let scanLimit = 4096

    private struct Scanner {
        let bytes: [UInt8]
        var at = 0

        /// The lane of the top-level object: its `channel` member when that is an integer, else its `ref` when that
        /// is a string without escapes; nil when neither is found (the control lane).
        mutating func lane() -> FrameLane? {
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            var ref: String?
            while true {
                skipSpace()
                guard let key = string() else { return nil }  // an escaped key may be `channel` to a parser
                skipSpace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                if key == Array("channel".utf8) { return integer().map { .channel($0) } }
                if key == Array("ref".utf8), ref == nil, bytes[safe: at] == UInt8(ascii: "\"") {
                    guard let value = string() else { return nil }
                    ref = String(decoding: value, as: UTF8.self)
                } else {
                    guard skipValue() else { return ref.map { .ref($0) } }
                }
                skipSpace()
                guard take(UInt8(ascii: ",")) else { return ref.map { .ref($0) } }
            }
        }

        private mutating func take(_ byte: UInt8) -> Bool {
            guard at < bytes.count, bytes[at] == byte else { return false }
            at += 1
            return true
        }

        private mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        /// A string's raw bytes; nil for one with escapes (a key written `chann\u0065l` is not recognised: the
        /// frame goes to the control lane, which costs order, not safety).
        private mutating func string() -> [UInt8]? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = at
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "\""):
                    defer { at += 1 }
                    return Array(bytes[start..<at])
                case UInt8(ascii: "\\"): return nil
                default: at += 1
                }
            }
            return nil
        }

        private mutating func integer() -> Int? {
            let start = at
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            guard at < bytes.count, [UInt8(ascii: ","), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[at])
            else { return nil }  // a fraction, an exponent, or cut short: not a channel number
            return Int(String(decoding: bytes[start..<at], as: UTF8.self))
        }

        /// Skips one value (strings with their escapes, nested brackets); false when it does not end in the bytes.
        private mutating func skipValue() -> Bool {
            var depth = 0
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "\""):
                    at += 1
                    while at < bytes.count, bytes[at] != UInt8(ascii: "\"") {
                        at += bytes[at] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    guard at < bytes.count else { return false }
                    at += 1
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    at += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard depth > 0 else { return true }  // the end of the top-level object
                    depth -= 1
                    at += 1
                case UInt8(ascii: ",") where depth == 0:
                    return true
                default:
                    at += 1
                }
                if depth == 0, at < bytes.count, [UInt8(ascii: ","), UInt8(ascii: "}")].contains(bytes[at]) {
                    return true
                }
            }
            return false
        }
    }
}

extension FrameLane {
    /// The lane of a parsed frame: the same answer `of(payload)` gives for the bytes it was parsed from.
    public static func of(_ object: JSONObject) -> FrameLane {
        if let channel = object["channel"] { return channel.intValue.map { .channel($0) } ?? .control }
        return object["ref"]?.stringValue.map { .ref($0) } ?? .control
    }
}

extension [UInt8] {
    fileprivate subscript(safe index: Int) -> UInt8? {
        indices.contains(index) ? self[index] : nil
    }
}
