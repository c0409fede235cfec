/// Whether a resource URI names a `.` or `..` segment in any spelling a server might decode (`%2e%2e`, `%2E.`,
/// `..%2f`, `..\`, or any of these percent-encoded once more). A glob's `*` matches any run of characters, so
/// `file:///public/*` would otherwise match `file:///public/../secret`; the gateway refuses such URIs outright
/// rather than normalise them, since the server, not the gateway, decides how it resolves them.
///
/// Segments are what lies between `/`, `\`, `?`, `#`, `&`, `=` and `;`, so that a query such as `?path=../x` counts
/// too. The URI is percent-decoded up to 3 times, and every stage is checked.
public enum DotSegments {
    public static func occur(in uri: String) -> Bool {
        var bytes = Array(uri.utf8)
        for _ in 0..<3 {
            if hasDotSegment(bytes) { return true }
            let decoded = percentDecoded(bytes)
            if decoded == bytes { return false }
            bytes = decoded
        }
        return hasDotSegment(bytes)
    }

    private static let separators: Set<UInt8> = Set("/\\?#&=;".utf8)

    private static func hasDotSegment(_ bytes: [UInt8]) -> Bool {
        bytes.split(omittingEmptySubsequences: false, whereSeparator: separators.contains).contains {
            $0.elementsEqual([0x2E]) || $0.elementsEqual([0x2E, 0x2E])
        }
    }

    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hex(bytes[i + 1]),
                let low = hex(bytes[i + 2])
            {
                out.append(high << 4 | low)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
