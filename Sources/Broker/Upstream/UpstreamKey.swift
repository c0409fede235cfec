/// Which upstream process serves a channel: one per (workspace, server, session), or one per (workspace, server)
/// for `--shared` servers (session `*`).
struct UpstreamKey: Hashable, Sendable, CustomStringConvertible {
    let workspace: String
    let server: String
    let session: String

    static let sharedSession = "*"
    /// The session a gateway uses for all its stateless (2026-07-28) traffic of a workspace (`broker-protocol.md`
    /// §5.1).
    static let poolSession = "pool"

    /// Whether at most one such upstream exists per (workspace, server): a shared server's, or the stateless pool's.
    /// These never count against, nor are refused by, a workspace's upstream limit, so the sessions of one token
    /// cannot lock the workspace's stateless clients out.
    var isBoundedByServers: Bool { session == Self.sharedSession || session == Self.poolSession }

    var description: String { "\(workspace)/\(server)[\(session)]" }
}
