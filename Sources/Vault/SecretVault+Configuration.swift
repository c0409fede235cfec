import Foundation

/// The configuration the broker publishes to gateways: nothing secret, token hashes instead of tokens.
public struct VaultConfiguration: Sendable {
    public struct Workspace: Sendable {
        public let info: WorkspaceInfo
        public let servers: [InstalledServer]
        public let featureSets: [FeatureSet]
        public let tokens: [HashedToken]
    }

    /// A usable token and its keyed hash (hex).
    public struct HashedToken: Sendable {
        public let info: TokenInfo
        public let hash: String
        public let grants: [Grant]
    }

    public let generation: Int64
    public let workspaces: [Workspace]
    public let clients: [HashedToken]
}

extension SecretVault {
    /// Everything a gateway needs, read in one transaction. Revoked and expired tokens are left out.
    public func configuration() throws(VaultError) -> VaultConfiguration {
        let now = clock()
        return try read { tx in
            func hashed(_ rows: [(info: TokenInfo, hash: [UInt8])]) throws -> [VaultConfiguration.HashedToken] {
                try rows.filter { $0.info.isUsable(now: now) }.map {
                    VaultConfiguration.HashedToken(
                        info: $0.info, hash: AccessToken.listed($0.hash),
                        grants: $0.info.kind == .client ? try tx.grants(tokenID: $0.info.id) : [])
                }
            }
            let workspaces = try tx.workspaces().map { ws in
                VaultConfiguration.Workspace(
                    info: ws, servers: try tx.installedServers(workspaceID: ws.id),
                    featureSets: [FeatureSet.all] + (try tx.featureSets(workspaceID: ws.id)),
                    tokens: try hashed(try tx.tokensWithHashes(where: "t.workspace_id = ?", [ws.id])))
            }
            return VaultConfiguration(
                generation: try tx.generation(), workspaces: workspaces,
                clients: try hashed(try tx.tokensWithHashes(where: "t.kind = 'client'")))
        }
    }
}
