/// How one installed server of a workspace is doing in the broker right now: what the dashboard shows beside it.
/// Values only, nothing secret.
public struct ServerLiveState: Sendable, Equatable {
    public enum State: String, Sendable {
        /// At least one upstream process or HTTP session is up.
        case running
        /// None is up (never asked for, or stopped when idle).
        case stopped
        /// Its last start failed (a crash, a handshake timeout, a refused connection).
        case failing
        /// Its OAuth grant needs `sealgate oauth login`.
        case needsLogin = "needs login"
    }

    public let workspace: String
    public let server: String
    public let state: State
    /// Upstream processes or HTTP sessions up (one per 2025-era session unless the server is shared).
    public let instances: Int
    public let starts: Int
    public let failures: Int

    public init(workspace: String, server: String, state: State, instances: Int, starts: Int, failures: Int) {
        (self.workspace, self.server, self.state, self.instances, self.starts, self.failures) = (
            workspace, server, state, instances, starts, failures
        )
    }
}
