import Synchronization

/// Counts open connections, in all and per peer, and says when one more would be one too many.
///
/// Its memory is bounded by the connections it admits: a peer is remembered only while it has one open.
final class ConnectionTable: Sendable {
    private struct Counts {
        var total = 0
        var perPeer: [String: Int] = [:]
    }

    let limits: ConnectionLimits
    private let counts = Mutex(Counts())

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// Counts a connection from `peer` (a `PeerKey`) unless it is over a limit; then nothing is counted and the
    /// refusal says which.
    func open(_ peer: String) -> ConnectionEvent.Refusal? {
        counts.withLock { counts in
            guard counts.total < limits.maximumConnections else { return .total }
            let held = counts.perPeer[peer, default: 0]
            guard held < limits.maximumConnectionsPerPeer else { return .peer }
            counts.total += 1
            counts.perPeer[peer] = held + 1
            return nil
        }
    }

    /// A connection `open` counted has closed.
    func close(_ peer: String) {
        counts.withLock { counts in
            counts.total -= 1
            let held = counts.perPeer[peer, default: 1] - 1
            counts.perPeer[peer] = held > 0 ? held : nil
        }
    }

    /// Connections open now.
    var count: Int { counts.withLock { $0.total } }
}
