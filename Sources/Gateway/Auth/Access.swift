import BrokerProtocol
import Policy

/// What one token may see in one workspace right now: the workspace as the snapshot has it, and the policy of the
/// FeatureSets that apply. Computed per request from the current snapshot, so a change of grants, FeatureSets or
/// installed servers applies at once.
struct Access: Sendable {
    let workspace: ConfigSnapshot.Workspace
    let policy: AccessPolicy
    /// Who calls, as analytics name it: `workspace:NAME` or `client:NAME` (the token's name, never the token).
    let caller: String
    /// The FeatureSets that apply, by name (nil: granted, but since deleted).
    private let sets: [(name: String, set: ConfigSnapshot.FeatureSet?)]

    /// Changes whenever what this token sees in this workspace may have changed: servers, FeatureSets, grants.
    /// Derived on demand: only change subscribers need it, not every request.
    var fingerprint: String {
        let servers = workspace.servers.map(\.slug).joined(separator: ",")
        let rules = sets.map { "\($0.name)=\($0.set?.allow ?? [])/\($0.set?.deny ?? [])" }.joined(separator: ";")
        return "\(workspace.slug)|\(servers)|\(rules)"
    }

    /// The access of `token` to workspace `slug`; nil when the token has none there (the caller answers 401).
    init?(token: AuthenticatedToken, workspace slug: String, snapshot: ConfigSnapshot) {
        guard let workspace = snapshot.workspaces.first(where: { $0.slug == slug }) else { return nil }
        let setNames: [String]
        if token.kind == "client" {
            guard let client = snapshot.clients.first(where: { $0.token.name == token.name }),
                let granted = client.grants[slug]
            else { return nil }
            setNames = granted
        } else {
            guard token.workspace == slug,
                let current = workspace.tokens.first(where: { $0.name == token.name })
            else { return nil }
            setNames = current.featureSets
        }
        sets = setNames.map { name in (name, workspace.featureSets.first { $0.name == name }) }
        self.workspace = workspace
        caller = "\(token.kind):\(token.name)"
        // A FeatureSet deleted after it was granted allows nothing, rather than falling back to `all`.
        policy = AccessPolicy(
            sets.isEmpty
                ? [.all] : sets.map { AccessPolicy.Rules(allow: $0.set?.allow ?? [], deny: $0.set?.deny ?? []) })
    }
}
