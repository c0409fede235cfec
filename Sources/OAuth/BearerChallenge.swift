/// The `Bearer` challenge of a `WWW-Authenticate` header (RFC 6750 §3, RFC 9728 §5.1): where the protected resource
/// metadata is, which scope to ask for, and the error, if any.
public struct BearerChallenge: Sendable, Equatable {
    public let resourceMetadata: String?
    public let scope: String?
    public let error: String?

    /// The first `Bearer` challenge among the header values given, or nil when there is none. Tolerates several
    /// challenges in one value, quoted strings with escapes, and parameters in any order and case.
    public init?(headerValues: [String]) {
        for value in headerValues {
            for challenge in Self.challenges(in: value) where challenge.scheme.lowercased() == "bearer" {
                let parameters = challenge.parameters
                resourceMetadata = parameters["resource_metadata"]
                scope = parameters["scope"]
                error = parameters["error"]
                return
            }
        }
        return nil
    }

    /// Splits a header value into challenges: `scheme [token68 | param=value, …]`, separated by commas.
    static func challenges(in header: String) -> [(scheme: String, parameters: [String: String])] {
        var scanner = Scanner(Array(header.utf8))
        var result: [(scheme: String, parameters: [String: String])] = []
        while true {
            scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2C }
            guard let scheme = scanner.token(), !scheme.isEmpty else { break }
            var parameters: [String: String] = [:]
            while true {
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                let mark = scanner.position
                guard let name = scanner.token(), !name.isEmpty else { break }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard scanner.take(0x3D) else {  // no `=`: the next challenge's scheme
                    scanner.position = mark
                    break
                }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                let value = scanner.peek == 0x22 ? scanner.quoted() : scanner.token()
                // The first occurrence counts; a repeated parameter cannot override it.
                if parameters[name.lowercased()] == nil { parameters[name.lowercased()] = value ?? "" }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard scanner.take(0x2C) else { break }
            }
            result.append((scheme, parameters))
            if scanner.atEnd { break }
        }
        return result
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[position] }

        mutating func skip(while predicate: (UInt8) -> Bool) {
            while let byte = peek, predicate(byte) { position += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        /// An RFC 9110 token (also covers token68's characters but `=` padding, which follows it below).
        mutating func token() -> String? {
            let start = position
            skip { byte in
                byte > 0x20 && byte < 0x7F && !"\"(),/:;<=>?@[\\]{}".utf8.contains(byte)
                    || byte == 0x2F || byte == 0x3A
            }
            // token68 padding (`abc==`) directly after the token, when no parameter value follows it.
            return start == position ? nil : String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A quoted string, with `\x` escapes resolved; an unterminated one runs to the end.
        mutating func quoted() -> String {
            position += 1
            var out: [UInt8] = []
            while let byte = peek {
                position += 1
                if byte == 0x22 { break }
                if byte == 0x5C, let next = peek {
                    out.append(next)
                    position += 1
                } else {
                    out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
