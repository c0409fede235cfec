/// A text as a reader would decode it (percent-decoded, JSON escapes undone), with where each decoded byte came
/// from, so that a secret found in the decoded bytes is masked where it stands in the text as sent.
///
/// Decoding is one pass, left to right; anything that is not a well-formed escape stays as it is.
struct DecodedText {
    /// The decoded bytes.
    let bytes: [UInt8]
    /// `map[i]`: the offset in the original text of the escape that gave decoded byte `i`, and one more entry, the
    /// end of the original text; nil when nothing was decoded (no copy of offsets for the common case).
    private let map: [Int]?

    /// The text itself, unchanged.
    init(_ text: [UInt8]) {
        bytes = text
        map = nil
    }

    private init(bytes: [UInt8], map: [Int]) {
        self.bytes = bytes
        self.map = map
    }

    /// Where decoded offset `i` (up to `bytes.count`) stands in the original text: a match of decoded `s..<e` stands
    /// for original `origin(s)..<origin(e)`.
    func origin(_ i: Int) -> Int { map?[i] ?? i }

    /// `%XX` (either case of hex digits) as the byte it stands for. `+` is left alone: it is a space only in form
    /// bodies and queries, and base64's own `+` must survive; the masker looks for a space-as-`+` form instead.
    func percentDecoded() -> DecodedText {
        var out: [UInt8] = []
        var from: [Int] = []
        out.reserveCapacity(bytes.count)
        from.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                let high = Self.hexValue(bytes[i + 1]), let low = Self.hexValue(bytes[i + 2])
            {
                out.append(high << 4 | low)
                from.append(origin(i))
                i += 3
            } else {
                out.append(bytes[i])
                from.append(origin(i))
                i += 1
            }
        }
        from.append(origin(bytes.count))
        return DecodedText(bytes: out, map: from)
    }

    /// JSON string escapes undone: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, and `\uXXXX` (a surrogate pair as
    /// one scalar) as UTF-8. For text that holds JSON of its own, such as a tool result that is a JSON document.
    func jsonUnescaped() -> DecodedText {
        var out: [UInt8] = []
        var from: [Int] = []
        out.reserveCapacity(bytes.count)
        from.reserveCapacity(bytes.count + 1)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count else {
                out.append(bytes[i])
                from.append(origin(i))
                i += 1
                continue
            }
            let simple: UInt8? =
                switch bytes[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes[i + 1]
                case UInt8(ascii: "b"): 0x08
                case UInt8(ascii: "f"): 0x0C
                case UInt8(ascii: "n"): 0x0A
                case UInt8(ascii: "r"): 0x0D
                case UInt8(ascii: "t"): 0x09
                default: nil
                }
            if let simple {
                out.append(simple)
                from.append(origin(i))
                i += 2
            } else if let escape = unicodeEscape(at: i) {
                for byte in UTF8.encode(escape.scalar)! {
                    out.append(byte)
                    from.append(origin(i))
                }
                i += escape.length
            } else {
                out.append(bytes[i])
                from.append(origin(i))
                i += 1
            }
        }
        from.append(origin(bytes.count))
        return DecodedText(bytes: out, map: from)
    }

    /// The scalar of a `\uXXXX` (or of a `\uD8xx\uDCxx` pair) at `i`, and the escape's length; nil for a lone
    /// surrogate or a malformed escape.
    private func unicodeEscape(at i: Int) -> (scalar: Unicode.Scalar, length: Int)? {
        guard let unit = codeUnit(at: i) else { return nil }
        if (0xD800..<0xDC00).contains(unit) {
            guard let low = codeUnit(at: i + 6), (0xDC00..<0xE000).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)).map { ($0, 12) }
        }
        return Unicode.Scalar(unit).map { ($0, 6) }
    }

    private func codeUnit(at i: Int) -> UInt32? {
        guard i + 5 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
            return nil
        }
        var unit: UInt32 = 0
        for byte in bytes[(i + 2)...(i + 5)] {
            guard let digit = Self.hexValue(byte) else { return nil }
            unit = unit << 4 | UInt32(digit)
        }
        return unit
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
