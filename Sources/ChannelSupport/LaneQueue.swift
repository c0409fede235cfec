/// Hands items on in the order they arrived within each lane, while lanes overtake each other: an item still being
/// prepared (a large frame parsed off the event loop) holds back the later items of its own lane only.
///
/// The broker protocol needs order within a channel (a request before its cancellation, everything before the
/// channel's close); frames of different channels are independent. Pure and single-threaded: its owner calls it on
/// one event loop.
public struct LaneQueue<Lane: Hashable & Sendable, Item> {
    /// A place held in a lane for an item still being prepared.
    public struct Ticket: Sendable {
        let lane: Lane
        let number: Int
    }

    private enum Entry {
        /// A held place, named by its ticket's number.
        case preparing(Int)
        case ready(Item)
        /// A held place that came to nothing.
        case dropped
    }

    /// Per held lane, its waiting entries in arrival order. A lane is absent unless something in it is preparing.
    private var held: [Lane: [Entry]] = [:]
    private var nextNumber = 0

    public init() {}

    /// Whether any lane waits for an item being prepared.
    public var isHolding: Bool { !held.isEmpty }

    /// The items being prepared or waiting behind one.
    public private(set) var waiting = 0

    /// An item ready now: returned to be handed on at once, or nil when an earlier item of its lane is still being
    /// prepared (it is queued behind it, and comes out of that item's `finish`).
    public mutating func arrive(_ item: Item, lane: Lane) -> Item? {
        guard held[lane] != nil else { return item }
        held[lane]!.append(.ready(item))
        waiting += 1
        return nil
    }

    /// Holds a place in `lane` for an item that will be ready later.
    public mutating func hold(lane: Lane) -> Ticket {
        nextNumber += 1
        held[lane, default: []].append(.preparing(nextNumber))
        waiting += 1
        return Ticket(lane: lane, number: nextNumber)
    }

    /// The item for a held place (nil: there is none after all, a frame that did not parse), and every item of its
    /// lane that can now be handed on, in order.
    public mutating func finish(_ ticket: Ticket, with item: Item?) -> [Item] {
        guard var entries = held[ticket.lane],
            let position = entries.firstIndex(where: {
                if case .preparing(ticket.number) = $0 { true } else { false }
            })
        else { return [] }
        entries[position] = item.map { .ready($0) } ?? .dropped
        var ready: [Item] = []
        var taken = 0
        loop: for entry in entries {
            switch entry {
            case .preparing: break loop
            case .ready(let item): ready.append(item)
            case .dropped: break
            }
            taken += 1
        }
        entries.removeFirst(taken)
        waiting -= taken
        held[ticket.lane] = entries.isEmpty ? nil : entries
        return ready
    }
}
