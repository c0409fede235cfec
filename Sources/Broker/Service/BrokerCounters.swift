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
        /// Whether each (workspace, server)'s last start failed (cleared by the next start that succeeds).
        var lastStartFailed: Set<Key> = []
        var leases: [String: BrokerStatistics.Leases] = [:]
        var droppedUnasked = 0
    }

    private let state = Mutex(State())

    func count(_ event: UpstreamEvent, _ key: UpstreamKey) {
        let pair = Key(workspace: key.workspace, server: key.server)
        state.withLock { state in
            switch event {
            case .started: state.lastStartFailed.remove(pair)
            case .failed: state.lastStartFailed.insert(pair)
            case .refusedAtLimit: break
            }
        }
        update(workspace: key.workspace, server: key.server) { entry in
            switch event {
            case .started(let restart):
                entry.starts += 1
                if restart { entry.restarts += 1 }
            case .failed: entry.failures += 1
            case .refusedAtLimit: entry.refusals += 1
            }
        }
    }

    func count(_ event: OAuthEvent, workspace: String, server: String) {
        update(workspace: workspace, server: server) { entry in
            switch event {
            case .oauthRefreshed: entry.oauthRefreshes += 1
            case .oauthRefreshFailed: entry.oauthRefreshFailures += 1
            }
        }
    }

    /// Whether (workspace, server) needs `sealgate oauth login` now. A server never counted before gets a series
    /// only when it does.
    func setNeedsLogin(_ needed: Bool, workspace: String, server: String) {
        guard needed || state.withLock({ $0.upstreams[Key(workspace: workspace, server: server)] != nil }) else {
            return
        }
        update(workspace: workspace, server: server) { $0.needsLogin = needed ? 1 : 0 }
    }

    private func update(
        workspace: String, server: String, _ change: (inout BrokerStatistics.Upstream) -> Void
    ) {
        state.withLock { state in
            change(
                &state.upstreams[
                    Key(workspace: workspace, server: server), default: .init(workspace: workspace, server: server)])
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

    /// Each installed server's state for the dashboard, given how many upstreams of each are up.
    func liveStates(installed: [(workspace: String, server: String)], instances: [String: Int]) -> [ServerLiveState] {
        state.withLock { state in
            installed.map { workspace, server in
                let key = Key(workspace: workspace, server: server)
                let counted = state.upstreams[key]
                let up = instances["\(workspace)/\(server)"] ?? 0
                let live: ServerLiveState.State =
                    if counted?.needsLogin == 1 { .needsLogin } else if state.lastStartFailed.contains(key) {
                        .failing
                    } else if up > 0 { .running } else { .stopped }
                return ServerLiveState(
                    workspace: workspace, server: server, state: live, instances: up, starts: counted?.starts ?? 0,
                    failures: counted?.failures ?? 0)
            }
        }
    }
}
