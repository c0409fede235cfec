import BrokerProtocol
import Glibc
import MCPWire
import Synchronization

/// The gateway's current broker connection and the last configuration snapshot it pushed. The connection is
/// replaced when the broker restarts; callers ask for the link each time they need it.
final class BrokerAccess: Sendable {
    private struct State {
        var link: BrokerLink?
        var snapshot = ConfigSnapshot(generation: -1, activeWorkspace: nil, workspaces: [], clients: [])
        var hasSnapshot = false
    }

    private let state = Mutex(State())

    /// The connected link; throws when there is none.
    func link() throws(GatewayError) -> BrokerLink {
        guard let link = state.withLock({ $0.link }) else { throw .brokerUnavailable }
        return link
    }

    func attach(_ link: BrokerLink?) {
        state.withLock {
            $0.link = link
            if link == nil { $0.hasSnapshot = false }
        }
    }

    func currentSnapshot() -> ConfigSnapshot {
        state.withLock { $0.snapshot }
    }

    /// Whether the gateway is connected and has heard the configuration (what `/healthz` reports).
    var isReady: Bool {
        state.withLock { $0.link != nil && $0.hasSnapshot }
    }

    /// Stores a pushed snapshot; returns the previous one.
    func store(_ snapshot: ConfigSnapshot) -> ConfigSnapshot {
        state.withLock { state in
            let previous = state.snapshot
            state.snapshot = snapshot
            state.hasSnapshot = true
            return previous
        }
    }

    /// A scrape waits this long for the broker's counters, then reports the broker down.
    static let statisticsTimeout: Duration = .seconds(2)

    /// The broker's counters for `/metrics`; nil while it is not connected or does not answer in time.
    func statistics() async -> BrokerStatistics? {
        guard let link = try? link() else { return nil }
        let ref = "m\(link.nextNumber())"
        guard
            case .statistics(_, let statistics)? = try? await link.call(
                ref: ref, .stats(ref: ref), timeout: Self.statisticsTimeout)
        else {
            return nil
        }
        return statistics
    }

    /// What the broker said about a token.
    enum TokenAnswer: Sendable {
        case known(AuthenticatedToken)
        case refused
        /// No answer: no connection, the connection ended, or nothing came within the timeout.
        case unanswered
    }

    /// Asks the broker who `token` belongs to, waiting at most `timeout` for the answer.
    func authenticate(_ token: String, timeout: Duration) async -> TokenAnswer {
        guard let link = try? link() else { return .unanswered }
        let ref = "a\(link.nextNumber())"
        do {
            let answer = try await link.call(ref: ref, .authenticate(ref: ref, token: token), timeout: timeout)
            if case .authenticated(_, let token) = answer { return .known(token) }
            return .refused
        } catch {
            return .unanswered
        }
    }
}

/// Wall-clock time, which token expiries are written in.
enum WallClock {
    static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
