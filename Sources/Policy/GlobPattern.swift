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

    /// Whether some name that starts with `prefix` matches: the pattern run over the prefix (all the places a `*`
    /// may have got to) leaves a place to go on from. What is left can always match something.
    public func mayMatch(prefix: String) -> Bool {
        var places: Set<Int> = closure([0])
        for character in prefix.unicodeScalars {
            var next: Set<Int> = []
            for place in places where place < pattern.count {
                switch pattern[place] {
                case "*": next.insert(place)
                case "?": next.insert(place + 1)
                case character: next.insert(place + 1)
                default: break
                }
            }
            places = closure(next)
            if places.isEmpty { return false }
        }
        return true
    }

    /// The places reachable from `places` without reading a character: past any `*`, which may match nothing.
    private func closure(_ places: Set<Int>) -> Set<Int> {
        var all = places
        for place in places {
            var at = place
            while at < pattern.count, pattern[at] == "*" {
                at += 1
                all.insert(at)
            }
        }
        return all
    }

    /// Whether the pattern matches every name (it is made of `*` alone).
    public var matchesEverything: Bool { !pattern.isEmpty && pattern.allSatisfy { $0 == "*" } }

    /// The characters before the first `*` or `?`: what every name it matches starts with.
    var literalPrefix: String {
        String(String.UnicodeScalarView(pattern.prefix { $0 != "*" && $0 != "?" }))
    }
}
