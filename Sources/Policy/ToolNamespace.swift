/// How the gateway names an upstream's tools and prompts: `server__tool`, always within `^[A-Za-z0-9_-]{1,64}$`
/// (what LLM APIs accept), and back again.
///
/// The rule, deterministic so that every gateway and every restart gives the same names:
/// 1. Every character of the tool name outside `[A-Za-z0-9_-]` becomes `_`.
/// 2. The name is `slug + "__" + that`.
/// 3. If that is longer than 64 characters, or if the tool name had to change in step 1 (so two tools could
///    collide, like `a.b` and `a_b`), the name is cut to 55 characters and `-` plus 8 hex digits of the FNV-1a
///    hash of `slug + "__" + original tool name` is appended. A name that needed neither stays readable.
public enum ToolNamespace {
    public static let separator = "__"
    public static let maximumLength = 64

    /// The namespaced name of `tool` from server `slug` (a slug cannot contain `__`).
    public static func name(server slug: String, tool: String) -> String {
        let cleaned = String(tool.unicodeScalars.map { isAllowed($0) ? Character($0) : "_" })
        let plain = slug + separator + cleaned
        guard plain.count > maximumLength || cleaned != tool || tool.isEmpty else { return plain }
        let digest = fnv1a(slug + separator + tool)
        let hex = String(digest, radix: 16)
        let suffix = "-" + String(repeating: "0", count: 16 - hex.count) + hex
        return String(plain.prefix(maximumLength - 9)) + suffix.prefix(9)
    }

    /// What every namespaced name of server `slug`'s tools and prompts starts with (a long one is cut, step 3).
    public static func prefix(server slug: String) -> String {
        String((slug + separator).prefix(maximumLength - 9))
    }

    /// A map from namespaced names back to (server, original tool), for routing calls; built from the lists.
    public struct ReverseMap: Sendable {
        private var entries: [String: (server: String, tool: String)] = [:]

        public init() {}

        /// Adds a tool; returns its namespaced name.
        @discardableResult
        public mutating func add(server: String, tool: String) -> String {
            let name = ToolNamespace.name(server: server, tool: tool)
            entries[name] = (server, tool)
            return name
        }

        public func resolve(_ name: String) -> (server: String, tool: String)? {
            entries[name]
        }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// FNV-1a, 64 bits: tiny, stable across platforms and releases (unlike `Hasher`), not a security hash.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
