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
        if holdsReplacementCharacter || bytes.contains(UInt8(ascii: "\\")) { return true }
        var found = false
        forEachMatch(in: bytes) { _, _, _ in
            found = true
            return false
        }
        return found
    }

    /// The bytes with every occurrence replaced; the input itself when nothing matched (the common case).
    func mask(_ bytes: [UInt8]) -> [UInt8] {
        guard !patterns.isEmpty else { return bytes }
        var matches: [(range: Range<Int>, pattern: Int)] = []
        forEachMatch(in: bytes) { start, end, pattern in
            matches.append((start..<end, pattern))
            return true
        }
        guard !matches.isEmpty else { return bytes }
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

    func mask(_ string: String) -> String {
        let bytes = Array(string.utf8)
        let masked = mask(bytes)
        return masked == bytes ? string : String(decoding: masked, as: UTF8.self)
    }

    /// Every occurrence of every form in `text` as sent and in each decoding of it that applies, as the range of
    /// the original bytes it stands for, until `body` returns false.
    private func forEachMatch(in text: [UInt8], _ body: (Int, Int, Int) -> Bool) {
        var views = [DecodedText(text)]
        let percent = text.contains(UInt8(ascii: "%"))
        if percent { views.append(views[0].percentDecoded()) }
        if text.contains(UInt8(ascii: "\\")) {
            let unescaped = views[0].jsonUnescaped()
            views.append(unescaped)
            if percent { views.append(unescaped.percentDecoded()) }
        }
        for view in views {
            let more = view.bytes.withUnsafeBytes { hay in
                var more = true
                for (number, pattern) in patterns.enumerated() where more {
                    pattern.forEachOccurrence(in: hay) { start in
                        more = body(view.origin(start), view.origin(start + pattern.count), number)
                        return more
                    }
                }
                return more
            }
            guard more else { return }
        }
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
