import BrokerProtocol

/// Which workspace an endpoint serves: a named one (`/ws/{slug}/…`) or whichever is active (`/active/…`).
enum Target: Sendable, Equatable {
    case workspace(String)
    case active

    /// The workspace slug this target means in `snapshot`; nil when there is no active workspace.
    func slug(in snapshot: ConfigSnapshot) -> String? {
        switch self {
        case .workspace(let slug): slug
        case .active: snapshot.activeWorkspace
        }
    }

    /// The URL path prefix of this target's endpoints.
    var pathPrefix: String {
        switch self {
        case .workspace(let slug): "/ws/\(slug)"
        case .active: "/active"
        }
    }
}
