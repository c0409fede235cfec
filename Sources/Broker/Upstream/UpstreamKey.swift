/// Which upstream process serves a channel: one per (workspace, server, session), or one per (workspace, server)
/// for `--shared` servers (session `*`).
struct UpstreamKey: Hashable, Sendable, CustomStringConvertible {
    let workspace: String
    let server: String
    let session: String

    static let sharedSession = "*"

    var description: String { "\(workspace)/\(server)[\(session)]" }
}
