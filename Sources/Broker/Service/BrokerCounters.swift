import BrokerProtocol
import Synchronization

/// What the broker counts for the gateway's `/metrics`: upstream starts, restarts and failures, and leases granted,
/// expired and revoked, per workspace (and server). Upstream actors count from their own executors, hence the lock.
final class BrokerCounters: Sendable {
    enum UpstreamEvent {
        case started(restart: Bool)
        case failed
        /// Not started: its workspace held the most upstreams it may.
        case refusedAtLimit
    }

    enum OAuthEvent {
        case oauthRefreshed, oauthRefreshFailed
    }

    enum LeaseEvent {
        case granted, expired, revoked
    }

    private struct Key: Hashable {
        let workspace: String
        let server: String
    }

    private struct State {
        var upstreams: [Key: BrokerStatistics.Upstream] = [:]
        var leases: [String: BrokerStatistics.Leases] = [:]
        var droppedUnasked = 0
    }

    private let state = Mutex(State())

    func count(_ event: UpstreamEvent, _ key: UpstreamKey) {
        let slot = Key(workspace: key.workspace, server: key.server)
        state.withLock { state in
            var entry = state.upstreams[slot] ?? .init(workspace: key.workspace, server: key.server)
            switch event {
            case .started(let restart):
                entry.starts += 1
                if restart { entry.restarts += 1 }
            case .failed: entry.failures += 1
            case .refusedAtLimit: entry.refusals += 1
            }
            state.upstreams[slot] = entry
        }
    }

    func count(_ event: OAuthEvent, workspace: String, server: String) {
        let slot = Key(workspace: workspace, server: server)
        state.withLock { state in
            var entry = state.upstreams[slot] ?? .init(workspace: workspace, server: server)
            switch event {
            case .oauthRefreshed: entry.oauthRefreshes += 1
            case .oauthRefreshFailed: entry.oauthRefreshFailures += 1
            }
            state.upstreams[slot] = entry
        }
    }

    /// Whether (workspace, server) needs `sealgate oauth login` now.
    func setNeedsLogin(_ needed: Bool, workspace: String, server: String) {
        let slot = Key(workspace: workspace, server: server)
        state.withLock { state in
            guard needed || state.upstreams[slot] != nil else { return }
            state.upstreams[slot, default: .init(workspace: workspace, server: server)].needsLogin = needed ? 1 : 0
        }
    }

    func count(_ event: LeaseEvent, workspace: String) {
        state.withLock { state in
            var entry = state.leases[workspace] ?? .init(workspace: workspace)
            switch event {
            case .granted: entry.granted += 1
            case .expired: entry.expired += 1
            case .revoked: entry.revoked += 1
            }
            state.leases[workspace] = entry
        }
    }

    /// A notification or upstream request not sent to a client that had stopped reading.
    func countDroppedUnasked() {
        state.withLock { $0.droppedUnasked += 1 }
    }

    /// The counters, with `active` leases per workspace filled in from the lease table.
    func statistics(activeLeases: [LeaseInfo]) -> BrokerStatistics {
        state.withLock { state in
            var leases = state.leases
            for lease in activeLeases {
                leases[lease.workspace, default: .init(workspace: lease.workspace)].active += 1
            }
            return BrokerStatistics(
                upstreams: state.upstreams.values.sorted { ($0.workspace, $0.server) < ($1.workspace, $1.server) },
                leases: leases.values.sorted { $0.workspace < $1.workspace }, droppedUnasked: state.droppedUnasked)
        }
    }
}
