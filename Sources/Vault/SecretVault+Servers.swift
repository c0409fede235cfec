extension SecretVault {
    /// Registers a server definition. Definitions are global and outlive workspaces.
    ///
    /// A new definition starts without secrets: any stored under its slug (left by a definition removed before
    /// removal destroyed them) are destroyed in the same transaction, and the audit entry names them.
    public func addServer(_ server: ServerDefinition) throws(VaultError) {
        try server.validate()
        let now = clock()
        var destroyed: [String] = []
        try write { tx in
            guard try tx.server(slug: server.slug) == nil else {
                throw VaultError(
                    .refused, "server '\(server.slug)' already exists",
                    remedy: "remove it first with `sealgate server remove \(server.slug)`, or pick another slug")
            }
            destroyed = try tx.deleteSecrets(server: server.slug)
            try tx.insertServer(server, now: now)
            return AuditEvent(
                event: "server.add", target: server.slug,
                detail: destroyed.isEmpty ? nil : "destroyed earlier secrets: \(destroyed.joined(separator: ", "))")
        }
        // Best effort, as in setSecret: the destruction is committed; a reader only delays the WAL truncation.
        if !destroyed.isEmpty { _ = try? store.checkpointAndTruncate() }
    }

    public func servers() throws(VaultError) -> [ServerDefinition] {
        try read { try $0.servers() }
    }

    /// Removes a definition, its installations and every secret stored for it in any workspace (with all their
    /// versions), in one transaction, then truncates the WAL so none of their ciphertext lingers: a definition
    /// added later under the same slug never receives them. The audit entry names the secrets destroyed.
    ///
    /// Returns the secrets destroyed (`workspace/NAME`), and false for `complete` when a reader kept the WAL from
    /// being truncated (see `deleteWorkspace`).
    @discardableResult
    public func removeServer(_ slug: String) throws(VaultError) -> (destroyed: [String], complete: Bool) {
        var destroyed: [String] = []
        try write { tx in
            _ = try Self.resolveServer(slug, in: tx)
            destroyed = try tx.deleteSecrets(server: slug)
            try tx.deleteServer(slug: slug)
            return AuditEvent(
                event: "server.remove", target: slug,
                detail: destroyed.isEmpty ? nil : "destroyed secrets: \(destroyed.joined(separator: ", "))")
        }
        return (destroyed, try store.checkpointAndTruncate())
    }

    static func resolveServer(_ slug: String, in tx: VaultTransaction) throws -> ServerDefinition {
        guard let server = try tx.server(slug: slug) else {
            throw VaultError(
                .notFound, "no server '\(slug.prefix(80))'",
                remedy: "see `sealgate server list`, or add it with `sealgate server add`")
        }
        return server
    }

    /// Installs a server in a workspace (the active one when nil).
    public func install(server slug: String, workspace: String?) throws(VaultError) {
        let now = clock()
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let server = try Self.resolveServer(slug, in: tx)
            guard !server.defaultEnabled else {
                throw VaultError(
                    .refused, "server '\(slug)' is default-enabled and already in every workspace",
                    remedy: "nothing to do")
            }
            guard try tx.install(server: slug, workspaceID: ws.id, now: now) else {
                throw VaultError(
                    .refused, "server '\(slug)' is already installed in '\(ws.slug)'", remedy: "nothing to do")
            }
            return AuditEvent(event: "mcp.install", workspace: ws.slug, target: slug)
        }
    }

    public func uninstall(server slug: String, workspace: String?) throws(VaultError) {
        try write { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            let server = try Self.resolveServer(slug, in: tx)
            guard try tx.uninstall(server: slug, workspaceID: ws.id) else {
                throw VaultError(
                    server.defaultEnabled ? .refused : .notFound,
                    server.defaultEnabled
                        ? "server '\(slug)' is default-enabled, so it is in every workspace"
                        : "server '\(slug)' is not installed in '\(ws.slug)'",
                    remedy: server.defaultEnabled
                        ? "remove the definition with `sealgate server remove \(slug)`" : "see `sealgate mcp list`")
            }
            return AuditEvent(event: "mcp.remove", workspace: ws.slug, target: slug)
        }
    }

    /// The servers of a workspace (the active one when nil), default-enabled ones included.
    public func installedServers(workspace: String?) throws(VaultError) -> (WorkspaceInfo, [InstalledServer]) {
        try read { tx in
            let ws = try Self.resolveWorkspace(workspace, in: tx)
            return (ws, try tx.installedServers(workspaceID: ws.id))
        }
    }
}
