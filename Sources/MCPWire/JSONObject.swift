/// An object whose members keep the order they were parsed or added in. Keys are unique: a later duplicate in the
/// source replaces the earlier value in place (last wins, at the first one's position), as most parsers do.
///
/// Every operation costs O(1) amortised whatever the number of members, so parsing an object, copying one member by
/// member, or removing members in a loop is linear: a peer's object with 100,000 keys costs 100,000 steps, not
/// 10^10. Small objects, nearly all of MCP, are scanned instead of hashed: past `indexThreshold` members a key index
/// is built, and a removal from an indexed object leaves a hole that a later compaction closes.
public struct JSONObject: Sendable, ExpressibleByDictionaryLiteral {
    /// Up to this many slots a lookup compares keys one by one (faster than hashing for a handful of short keys).
    static let indexThreshold = 16

    // Invariants: `index` is nil while `slots.count <= indexThreshold`, and then every slot holds a member (a removal
    // closes its gap at once). Otherwise `index` maps every member's key to its slot, and a slot it does not point to
    // is a hole left by a removal (its key and value dropped): `index.count < slots.count` says there are holes, and
    // there are never more holes than members unless there are few of them. Two words, like the one array before
    // the index: `JSONValue` stays 17 bytes.
    private var slots: [(key: String, value: JSONValue)] = []
    private var index: [String: Int]?

    public init() {}

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// The members in order. O(1) unless members were removed from a large object since its last compaction.
    public var members: [(key: String, value: JSONValue)] {
        guard let index, index.count < slots.count else { return slots }
        return slots.enumerated().filter { index[$0.element.key] == $0.offset }.map(\.element)
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { index?.count ?? slots.count }
    public var isEmpty: Bool { count == 0 }

    /// Reads a member; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get { slot(of: key).map { slots[$0].value } }
        set {
            switch (slot(of: key), newValue) {
            case (let slot?, let newValue?): slots[slot].value = newValue
            case (let slot?, nil): remove(slot)
            case (nil, let newValue?): append(key, newValue)
            case (nil, nil): break
            }
        }
    }

    private func slot(of key: String) -> Int? {
        if let index { return index[key] }
        return slots.firstIndex { $0.key == key }
    }

    private mutating func append(_ key: String, _ value: JSONValue) {
        slots.append((key, value))
        if index != nil {
            index![key] = slots.count - 1
        } else if slots.count > Self.indexThreshold {
            buildIndex()
        }
    }

    private mutating func remove(_ slot: Int) {
        guard index != nil else {
            slots.remove(at: slot)  // at most `indexThreshold` members move
            return
        }
        index![slots[slot].key] = nil
        slots[slot] = ("", .null)  // a hole; the value may be large: release it now
        let holes = slots.count - index!.count
        if holes > Self.indexThreshold && holes > index!.count { compact() }
    }

    /// Closes the holes; O(slots), paid for by the removals that made more than half the slots holes.
    private mutating func compact() {
        slots = members
        index = nil
        if slots.count > Self.indexThreshold { buildIndex() }
    }

    private mutating func buildIndex() {
        var built = [String: Int](minimumCapacity: slots.count * 2)
        for (slot, member) in slots.enumerated() { built[member.key] = slot }
        index = built
    }
}

extension JSONObject: Equatable, Hashable {
    /// Equal when the members are equal in order (two objects with the same members in another order differ, as
    /// their serialisations do).
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}
