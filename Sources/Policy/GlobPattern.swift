/// A glob over names and URIs: `*` matches any run of characters (including none), `?` exactly one; everything
/// else matches itself. The whole name must match.
public struct GlobPattern: Sendable, Hashable {
    public let text: String
    private let pattern: [Unicode.Scalar]

    public init(_ text: String) {
        self.text = text
        pattern = Array(text.unicodeScalars)
    }

    /// Iterative matching with one backtrack point: linear in practice, never exponential.
    public func matches(_ name: String) -> Bool {
        let subject = Array(name.unicodeScalars)
        var p = 0
        var s = 0
        var star: Int?
        var resume = 0
        while s < subject.count {
            if p < pattern.count, pattern[p] == "?" || (pattern[p] != "*" && pattern[p] == subject[s]) {
                p += 1
                s += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = s
                p += 1
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                s = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
