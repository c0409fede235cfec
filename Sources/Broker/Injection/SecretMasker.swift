import Glibc
import MCPWire
import Vault

/// Replaces every injected secret value (and its base64 and percent-encoded forms) with `[REDACTED:NAME]` in what
/// an upstream sends back. The patterns stay in guarded memory; the longest is replaced first, so a value that
/// contains another is masked whole.
///
/// `Sendable` by hand so that the vault's isolation can hand it to the upstream that owns it: it never changes after
/// `init`, and its guarded memory is only read. It holds secrets, so it is kept by that one upstream and dropped
/// with its process.
final class SecretMasker: @unchecked Sendable {
    private let patterns: [(name: String, value: SecretValue)]

    init(_ secrets: [InjectedSecret]) {
        var patterns: [(String, SecretValue)] = []
        for secret in secrets {
            for form in secret.value.encodedForms() { patterns.append((secret.name, form)) }
        }
        // Very short values would mask ordinary text everywhere; they are still injected, only not masked.
        self.patterns = patterns.filter { $0.1.count >= 4 }.sorted { $0.1.count > $1.1.count }
        self.holdsReplacementCharacter = self.patterns.contains { pattern in
            Self.replacement.withUnsafeBytes { needle in
                pattern.value.withUnsafeBytes { Self.firstIndex(of: needle, in: $0, from: 0) != nil }
            }
        }
    }

    private let holdsReplacementCharacter: Bool
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

    var isEmpty: Bool { patterns.isEmpty }

    /// Whether a JSON text as it came off the wire could hold a secret once parsed. False only when it cannot: it has
    /// no escape (`\`), so every parsed string and key is a run of its bytes as they are, and no pattern occurs in
    /// those bytes. A pattern holding U+FFFD is always suspected, since invalid UTF-8 parses to U+FFFD.
    /// This lets the common answer skip the walk over its parsed value.
    func mayOccur(inJSON bytes: [UInt8]) -> Bool {
        guard !patterns.isEmpty else { return false }
        if holdsReplacementCharacter || bytes.contains(UInt8(ascii: "\\")) { return true }
        return bytes.withUnsafeBytes { hay in
            patterns.contains { pattern in
                pattern.value.withUnsafeBytes { Self.firstIndex(of: $0, in: hay, from: 0) != nil }
            }
        }
    }

    /// The bytes with every occurrence replaced; the input itself when nothing matched (the common case).
    func mask(_ bytes: [UInt8]) -> [UInt8] {
        var current = bytes
        for pattern in patterns {
            current = pattern.value.withUnsafeBytes { needle in
                Self.replace(needle, in: current, with: Array("[REDACTED:\(pattern.name)]".utf8))
            }
        }
        return current
    }

    func mask(_ string: String) -> String {
        let bytes = Array(string.utf8)
        let masked = mask(bytes)
        return masked == bytes ? string : String(decoding: masked, as: UTF8.self)
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

    private static func replace(_ needle: UnsafeRawBufferPointer, in haystack: [UInt8], with replacement: [UInt8])
        -> [UInt8]
    {
        guard needle.count > 0, haystack.count >= needle.count else { return haystack }
        return haystack.withUnsafeBytes { hay -> [UInt8] in
            var out: [UInt8] = []
            var offset = 0
            while let index = firstIndex(of: needle, in: hay, from: offset) {
                if out.isEmpty { out.reserveCapacity(hay.count) }
                out.append(contentsOf: hay[offset..<index])
                out.append(contentsOf: replacement)
                offset = index + needle.count
            }
            guard offset > 0 else { return haystack }
            out.append(contentsOf: hay[offset...])
            return out
        }
    }

    /// memchr for the first byte, memcmp for the rest (glibc's memmem is not visible to Swift).
    private static func firstIndex(
        of needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer, from start: Int
    ) -> Int? {
        var offset = start
        let first = Int32(needle[0])
        while offset <= hay.count - needle.count {
            guard let hit = memchr(hay.baseAddress! + offset, first, hay.count - needle.count - offset + 1) else {
                return nil
            }
            let index = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
            if memcmp(hay.baseAddress! + index, needle.baseAddress!, needle.count) == 0 { return index }
            offset = index + 1
        }
        return nil
    }
}
