/// Validation of the identifiers users type: slugs, secret names, FeatureSet and token names.
public enum Slug {
    /// `[a-z0-9][a-z0-9-]{0,62}`, and never `__` (reserved as the gateway's `server__tool` separator).
    public static func validate(_ slug: String, what: String) throws(VaultError) {
        let bytes = Array(slug.utf8)
        let valid =
            (1...63).contains(bytes.count) && isLowerAlnum(bytes[0])
            && bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        guard valid else {
            throw VaultError(
                .invalidInput, "invalid \(what) '\(slug.prefix(80))'",
                remedy: "use 1 to 63 lowercase letters, digits and '-', starting with a letter or digit")
        }
    }

    /// A slug made from a display name: lowercase, runs of other characters become one '-'.
    public static func derive(from name: String) -> String {
        var out = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, let ascii = UInt8(exactly: scalar.value), isLowerAlnum(ascii) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, out.last != "-" {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return String(out.prefix(63))
    }

    /// A secret (environment variable) name: `[A-Za-z_][A-Za-z0-9_]{0,127}`.
    public static func validateVariableName(_ name: String, what: String = "secret name") throws(VaultError) {
        guard isVariableName(name) else {
            throw VaultError(
                .invalidInput, "invalid \(what) '\(name.prefix(80))'",
                remedy: "use letters, digits and '_' (at most 128), not starting with a digit, like GITHUB_TOKEN")
        }
    }

    static func isVariableName(_ name: some StringProtocol) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count), !isDigit(bytes[0]) else { return false }
        return bytes.allSatisfy { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLowerAlnum(_ b: UInt8) -> Bool {
        isDigit(b) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b)
    }
    private static func isDigit(_ b: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
    private static func isLetter(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
    }
}

extension String {
    /// The `${NAME}` (and `${NAME:file}`) references in this string, by name, in order of appearance.
    var secretReferences: [String] {
        var names: [String] = []
        var rest = self[...]
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let reference = rest[start.upperBound..<end]
            names.append(String(reference.hasSuffix(":file") ? reference.dropLast(5) : reference))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }
}
