import BrokerProtocol
import Policy

/// What one token may see in one workspace right now: the workspace as the snapshot has it, and the policy of the
/// FeatureSets that apply. Computed per request from the current snapshot, so a change of grants, FeatureSets or
/// installed servers applies at once.
struct Access: Sendable {
    let workspace: ConfigSnapshot.Workspace
    let policy: AccessPolicy
    /// Changes whenever what this token sees in this workspace may have changed: servers, FeatureSets, grants.
    let fingerprint: String

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
        let sets = setNames.map { name in
            // A FeatureSet deleted after it was granted allows nothing, rather than falling back to `all`.
            let set = workspace.featureSets.first { $0.name == name }
            return (name, AccessPolicy.Rules(allow: set?.allow ?? [], deny: set?.deny ?? []), set)
        }
        self.workspace = workspace
        self.policy = AccessPolicy(sets.isEmpty ? [.all] : sets.map(\.1))
        let servers = workspace.servers.map(\.slug).joined(separator: ",")
        let rules = sets.map { "\($0.0)=\($0.2?.allow ?? [])/\($0.2?.deny ?? [])" }.joined(separator: ";")
        fingerprint = "\(slug)|\(servers)|\(rules)"
    }
}
