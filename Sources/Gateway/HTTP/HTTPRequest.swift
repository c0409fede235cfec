import NIOCore
import NIOHTTP1

/// One HTTP request with its body aggregated, as the gateway's endpoints see it.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public let body: ByteBuffer
    /// The peer's address (for rate limiting), without the port.
    public let peer: String

    public var method: HTTPMethod { head.method }

    /// The path without the query.
    public var path: Substring { head.uri.prefix { $0 != "?" } }

    /// A query parameter, percent-decoded; nil when absent.
    public func query(_ name: String) -> String? {
        guard let mark = head.uri.firstIndex(of: "?") else { return nil }
        for pair in head.uri[head.uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if PercentDecoding.decode(parts[0]) == name {
                return parts.count > 1 ? PercentDecoding.decode(parts[1]) : ""
            }
        }
        return nil
    }

    /// A header's value (case-insensitive name), repeated fields joined with ", ".
    public func header(_ name: String) -> String? {
        let values = head.headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Whether `Accept` names `mediaType` (or `*/*`, unless `orAnything` is false). A byte search: header values
    /// are ASCII, and Swift's `String.contains` costs microseconds on every request.
    public func accepts(_ mediaType: String, orAnything: Bool = true) -> Bool {
        let values = head.headers["Accept"]
        return values.contains { value in
            value.utf8.containsBytes(of: mediaType.utf8) || (orAnything && value.utf8.containsBytes(of: "*/*".utf8))
        }
    }

    /// The bearer token of the `Authorization` header, if there is exactly one well-formed one.
    public var bearerToken: String? {
        let values = head.headers["Authorization"]
        guard values.count == 1 else { return nil }
        let value = values[0]
        guard value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        let token = value.dropFirst(7).trimmingSpaces()
        return token.isEmpty ? nil : String(token)
    }
}

/// `%XX` decoding of URL query parts (`+` is a space there).
enum PercentDecoding {
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return String(text) }
                bytes.append(value)
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Sequence where Element == UInt8 {
    /// Whether `needle` occurs as a contiguous run of these bytes.
    func containsBytes(of needle: some Collection<UInt8>) -> Bool {
        let haystack = Array(self)
        let needle = Array(needle)
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var result = self
        while result.first == " " || result.first == "\t" { result = result.dropFirst() }
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        return result
    }
}
