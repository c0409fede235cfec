import Glibc
import MCPWire
import Vault

/// Replaces every injected secret value, in any of the forms an upstream may send it back in, with
/// `[REDACTED:NAME]` in what the upstream sends.
///
/// The forms: the value itself; its base64 (standard and URL-safe, with and without padding, and the core of it at
/// each of the 3 byte offsets inside longer base64, such as a `Basic` credential); its percent-encoding (either case
/// of hex digits, any subset of bytes encoded, a space as `%20` or `+`); and the value as JSON escapes spell it
/// (`\"`, `\\`, `\/`, `\u00e9`) inside text that holds JSON of its own. Encodings are undone on a copy of the text
/// (`DecodedText`) and every form is searched in it, so the cost is linear in the text for each pattern; every
/// occurrence found is mapped back to the bytes as sent, overlapping ones are joined, and each joined run is replaced
/// once (named after the longest form in it, so a value that contains another is masked whole).
///
/// Forms shorter than 4 bytes are not masked (they would mask ordinary text everywhere), so a value under 4 bytes is
/// masked only in its longer encodings; nor is a base64 core shorter than 6 characters
/// (see ``SecretValue/minimumBase64CoreLength``).
///
/// `Sendable` by hand so that the vault's isolation can hand it to the upstream that owns it: it never changes after
/// `init`, and its guarded memory is only read. It holds secrets, so it is kept by that one upstream and dropped
/// with its process; so is what it `retains` (the launch's secret files, removed when they are released).
final class SecretMasker: @unchecked Sendable {
    static let minimumFormLength = 4

    private let patterns: [SecretPattern]
    /// The patterns that hold no other pattern (indices into `patterns`).
    private let detectors: [Int]
    private let retained: [AnyObject]

    /// `retaining`: what must live exactly as long as the upstream's process, such as its `SecretFiles`.
    init(_ secrets: [InjectedSecret], retaining: [AnyObject] = []) {
        var patterns: [SecretPattern] = []
        for secret in secrets {
            var forms = secret.value.encodedForms() + secret.value.base64Cores()
            if let plus = secret.value.spacesAsPlus() { forms.append(plus) }
            for form in forms where form.count >= Self.minimumFormLength {
                guard !patterns.contains(where: { $0.name == secret.name && $0.value == form }) else { continue }
                patterns.append(SecretPattern(name: secret.name, value: form))
            }
        }
        self.patterns = patterns
        // Any occurrence of a form holds an occurrence of a form that contains no other (the padded base64 holds the
        // unpadded, which holds its core): those few are enough to tell whether a text needs masking at all.
        detectors = patterns.indices.filter { index in
            !patterns.indices.contains { other in
                other != index && patterns[other].count <= patterns[index].count
                    && patterns[index].value.withUnsafeBytes { longer in
                        var found = false
                        patterns[other].forEachOccurrence(in: longer) { _ in
                            found = true
                            return false
                        }
                        // Of two equal forms (two secrets with one value), the first stays.
                        return found && (patterns[other].count < patterns[index].count || other < index)
                    }
            }
        }
        retained = retaining
        holdsReplacementCharacter = patterns.contains { pattern in
            pattern.value.withUnsafeBytes { value in
                value.indices.dropLast(2).contains {
                    value[$0] == 0xEF && value[$0 + 1] == 0xBF && value[$0 + 2] == 0xBD
                }
            }
        }
    }

    private let holdsReplacementCharacter: Bool

    var isEmpty: Bool { patterns.isEmpty }

    /// Whether a JSON text as it came off the wire could hold a secret once parsed. False only when it cannot: it has
    /// no escape (`\`), so every parsed string and key is a run of its bytes as they are, and no form occurs in those
    /// bytes nor in their percent-decoding. A pattern holding U+FFFD is always suspected, since invalid UTF-8 parses
    /// to U+FFFD. This lets the common answer skip the walk over its parsed value.
    func mayOccur(inJSON bytes: [UInt8]) -> Bool {
        guard !patterns.isEmpty else { return false }
        if holdsReplacementCharacter || Self.holds(UInt8(ascii: "\\"), bytes) { return true }
        return anyMatch(in: views(of: bytes))
    }

    /// The bytes with every occurrence replaced; the input itself when nothing matched (the common case).
    func mask(_ bytes: [UInt8]) -> [UInt8] {
        masked(bytes) ?? bytes
    }

    func mask(_ string: String) -> String {
        masked(Array(string.utf8)).map { String(decoding: $0, as: UTF8.self) } ?? string
    }

    /// The bytes with every occurrence replaced; nil when nothing matched.
    private func masked(_ bytes: [UInt8]) -> [UInt8]? {
        guard !patterns.isEmpty else { return nil }
        let views = views(of: bytes)
        guard anyMatch(in: views) else { return nil }
        var matches: [(range: Range<Int>, pattern: Int)] = []
        for view in views {
            view.bytes.withUnsafeBytes { hay in
                for (number, pattern) in patterns.enumerated() {
                    pattern.forEachOccurrence(in: hay) { start in
                        matches.append((view.origin(start)..<view.origin(start + pattern.count), number))
                        return true
                    }
                }
            }
        }
        matches.sort { $0.range.lowerBound < $1.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var copied = 0
        var index = 0
        while index < matches.count {
            // Join every match that overlaps the run so far; the run is named after its longest form.
            var run = matches[index].range
            var named = matches[index].pattern
            index += 1
            while index < matches.count, matches[index].range.lowerBound < run.upperBound {
                if patterns[matches[index].pattern].count > patterns[named].count { named = matches[index].pattern }
                run = run.lowerBound..<max(run.upperBound, matches[index].range.upperBound)
                index += 1
            }
            out.append(contentsOf: bytes[copied..<run.lowerBound])
            out.append(contentsOf: "[REDACTED:\(patterns[named].name)]".utf8)
            copied = run.upperBound
        }
        out.append(contentsOf: bytes[copied...])
        return out
    }

    /// `text` as sent, and each decoding of it that applies.
    private func views(of text: [UInt8]) -> [DecodedText] {
        var views = [DecodedText(text)]
        let percent = Self.holds(UInt8(ascii: "%"), text)
        if percent { views.append(views[0].percentDecoded()) }
        if Self.holds(UInt8(ascii: "\\"), text) {
            let unescaped = views[0].jsonUnescaped()
            views.append(unescaped)
            if percent { views.append(unescaped.percentDecoded()) }
        }
        return views
    }

    /// Whether some form occurs in some view.
    private func anyMatch(in views: [DecodedText]) -> Bool {
        views.contains { view in
            view.bytes.withUnsafeBytes { hay in
                detectors.contains { index in
                    var found = false
                    patterns[index].forEachOccurrence(in: hay) { _ in
                        found = true
                        return false
                    }
                    return found
                }
            }
        }
    }

    /// `memchr`: `Array.contains` is a loop of Swift, slow in debug builds, and this runs on every message.
    private static func holds(_ byte: UInt8, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { $0.baseAddress.map { memchr($0, Int32(byte), bytes.count) != nil } ?? false }
    }

    /// Masks every string (and object key) in a JSON value; numbers and structure are left as they are.
    func mask(_ value: JSONValue) -> JSONValue {
        guard !patterns.isEmpty else { return value }
        switch value {
        case .string(let s): return .string(mask(s))
        case .array(let elements): return .array(elements.map(mask))
        case .object(let object):
            var out = JSONObject()
            for member in object.members { out[mask(member.key)] = mask(member.value) }
            return .object(out)
        default: return value
        }
    }

    func mask(_ message: JSONRPCMessage) -> JSONRPCMessage {
        guard !patterns.isEmpty else { return message }
        switch message {
        case .request(let id, let method, let params): return .request(id: id, method: method, params: params.map(mask))
        case .notification(let method, let params): return .notification(method: method, params: params.map(mask))
        case .result(let id, let result): return .result(id: id, result: mask(result))
        case .error(let id, var error):
            error.message = mask(error.message)
            error.data = error.data.map(mask)
            return .error(id: id, error)
        }
    }
}
