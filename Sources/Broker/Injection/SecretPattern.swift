import Glibc
import Vault

/// One form of one injected secret and its search: `memchr` and `memcmp` as a rule, Knuth-Morris-Pratt when a text
/// makes those slow, so that a search is linear in the text whatever the text and the pattern.
///
/// The pattern and its failure table are both held in guarded memory (`SecretValue`): the table does not spell the
/// value, but it records which of its prefixes repeat.
struct SecretPattern {
    /// The secret's name, for `[REDACTED:NAME]`.
    let name: String
    let value: SecretValue
    /// `failure[q]`: the length of the longest proper prefix of the first `q + 1` bytes that is also their suffix,
    /// as native `Int`s.
    private let failure: SecretValue

    init(name: String, value: SecretValue) {
        self.name = name
        self.value = value
        failure = value.withUnsafeBytes { needle in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: max(needle.count, 1)) { table in
                table.initialize(repeating: 0)
                var k = 0
                for q in needle.indices.dropFirst() {
                    while k > 0 && needle[k] != needle[q] { k = table[k - 1] }
                    if needle[k] == needle[q] { k += 1 }
                    table[q] = k
                }
                let raw = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: table[..<needle.count]))
                let kept = SecretValue(copying: raw)
                explicit_bzero(table.baseAddress!, table.count * MemoryLayout<Int>.stride)
                return kept
            }
        }
    }

    var count: Int { value.count }

    /// Calls `body` with the start of every occurrence in `hay`, overlapping ones included, left to right, until it
    /// returns false.
    ///
    /// The common case is `memchr` to the next candidate and `memcmp` to check it, both in C. A pattern that
    /// repeats itself (`aaaab`) could make those checks quadratic on a text made for it, so once they have looked
    /// at more than 4 bytes per byte of the text, the rest is searched with KMP, which is linear whatever the text.
    func forEachOccurrence(in hay: UnsafeRawBufferPointer, _ body: (Int) -> Bool) {
        value.withUnsafeBytes { needle in
            let m = needle.count
            guard m > 0, hay.count >= m, let base = hay.baseAddress, let pattern = needle.baseAddress else { return }
            let first = Int32(needle[0])
            var budget = 4 * hay.count + 4096
            var offset = 0
            while offset <= hay.count - m {
                guard let hit = memchr(base + offset, first, hay.count - m - offset + 1) else { return }
                let index = base.distance(to: UnsafeRawPointer(hit))
                guard budget >= m else { return searchWithKMP(needle, in: hay, from: index, body) }
                budget -= m
                if memcmp(base + index, pattern, m) == 0 { guard body(index) else { return } }
                offset = index + 1
            }
        }
    }

    /// Knuth-Morris-Pratt from `start`: every occurrence that starts there or later.
    private func searchWithKMP(
        _ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer, from start: Int, _ body: (Int) -> Bool
    ) {
        failure.withUnsafeBytes { rawTable in
            // Guarded memory need not be aligned for `Int`.
            func table(_ q: Int) -> Int {
                rawTable.loadUnaligned(fromByteOffset: q * MemoryLayout<Int>.stride, as: Int.self)
            }
            let m = needle.count
            let base = hay.baseAddress!
            let first = Int32(needle[0])
            var q = 0
            var i = start
            while i < hay.count {
                if q == 0 {
                    // Nothing matched so far: jump to the next place the pattern could start.
                    guard let hit = memchr(base + i, first, hay.count - i) else { return }
                    i = base.distance(to: UnsafeRawPointer(hit)) + 1
                    q = 1
                } else {
                    let byte = hay[i]
                    while q > 0 && needle[q] != byte { q = table(q - 1) }
                    if needle[q] == byte { q += 1 }
                    i += 1
                }
                if q == m {
                    guard body(i - m) else { return }
                    q = table(m - 1)
                }
            }
        }
    }
}
