import GRDB

extension VaultTransaction {
    func insertWorkspace(slug: String, name: String, dataKeyTerm: UInt32, now: Int64) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO workspaces(slug, name, dek_term, created_at, audit_seq) VALUES (?, ?, ?, ?, ?)",
            arguments: [slug, name, Int64(dataKeyTerm), now, auditSeq])
        return db.lastInsertedRowID
    }

    func workspace(slug: String) throws -> WorkspaceInfo? {
        try workspaces(where: "slug = ?", [slug]).first
    }

    func workspaces(where condition: String = "1", _ arguments: StatementArguments = []) throws -> [WorkspaceInfo] {
        let active = try metaInt("active_workspace")
        return try Row.fetchAll(
            db, sql: "SELECT id, slug, name, dek_term, created_at FROM workspaces WHERE \(condition) ORDER BY slug",
            arguments: arguments
        ).map { row in
            WorkspaceInfo(
                id: row["id"], slug: row["slug"], name: row["name"], isActive: row["id"] == active,
                createdAt: row["created_at"], dataKeyTerm: UInt32(truncatingIfNeeded: row["dek_term"] as Int64))
        }
    }

    func setDataKeyTerm(workspaceID: Int64, term: UInt32) throws {
        try db.execute(
            sql: "UPDATE workspaces SET dek_term = ? WHERE id = ?", arguments: [Int64(term), workspaceID])
    }

    func setActiveWorkspace(id: Int64?) throws {
        try setMeta("active_workspace", id)
    }

    func activeWorkspace() throws -> WorkspaceInfo? {
        guard let id = try metaInt("active_workspace") else { return nil }
        return try workspaces(where: "id = ?", [id]).first
    }

    /// Removes the workspace; foreign keys cascade to its data keys, secrets, tokens, grants, FeatureSets.
    func deleteWorkspace(id: Int64) throws {
        if try metaInt("active_workspace") == id { try setActiveWorkspace(id: nil) }
        try db.execute(sql: "DELETE FROM workspaces WHERE id = ?", arguments: [id])
    }

    // Servers and installations.

    func insertServer(_ server: ServerDefinition, now: Int64) throws {
        var command: String?
        var args: [String] = []
        var url: String?
        var headers: [[String]] = []
        switch server.transport {
        case .stdio(let c, let a): (command, args) = (c, a)
        case .http(let u, let h): (url, headers) = (u, h.map { [$0.name, $0.value] })
        }
        try db.execute(
            sql: """
                INSERT INTO servers(slug, transport, command, args, url, headers, env, default_enabled, shared, created_at,
                    audit_seq, oauth)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                server.slug, command == nil ? "http" : "stdio", command, Self.encodeJSON(args), url,
                Self.encodeJSON(headers), Self.encodeJSON(server.environment.map { [$0.name, $0.value] }),
                server.defaultEnabled, server.shared, now, auditSeq, server.oauth.map { Self.encodeJSON($0) },
            ])
    }

    func servers(where condition: String = "1", _ arguments: StatementArguments = []) throws -> [ServerDefinition] {
        try Row.fetchAll(db, sql: "SELECT * FROM servers WHERE \(condition) ORDER BY slug", arguments: arguments).map {
            row in
            let transport: ServerDefinition.Transport
            if let command: String = row["command"] {
                transport = .stdio(command: command, args: try Self.decodeJSON([String].self, row["args"]))
            } else {
                let pairs = try Self.decodeJSON([[String]].self, row["headers"])
                transport = .http(
                    url: row["url"], headers: pairs.map { .init(name: $0.first ?? "", value: $0.last ?? "") })
            }
            let env = try Self.decodeJSON([[String]].self, row["env"])
            let oauth = try (row["oauth"] as String?).map { try Self.decodeJSON(OAuthClientSettings.self, $0) }
            return ServerDefinition(
                slug: row["slug"], transport: transport,
                environment: env.map { .init(name: $0.first ?? "", value: $0.last ?? "") },
                defaultEnabled: row["default_enabled"], shared: row["shared"], oauth: oauth)
        }
    }

    func server(slug: String) throws -> ServerDefinition? {
        try servers(where: "slug = ?", [slug]).first
    }

    /// Deletes the definition; installations cascade.
    func deleteServer(slug: String) throws {
        try db.execute(sql: "DELETE FROM servers WHERE slug = ?", arguments: [slug])
    }

    func installationCount(server: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM installations WHERE server = ?", arguments: [server]) ?? 0
    }

    /// Returns false when it was already installed.
    func install(server: String, workspaceID: Int64, now: Int64) throws -> Bool {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO installations(workspace_id, server, installed_at, audit_seq) VALUES (?, ?, ?, ?)
                """,
            arguments: [workspaceID, server, now, auditSeq])
        return db.changesCount > 0
    }

    /// Returns false when it was not installed.
    func uninstall(server: String, workspaceID: Int64) throws -> Bool {
        try db.execute(
            sql: "DELETE FROM installations WHERE workspace_id = ? AND server = ?", arguments: [workspaceID, server])
        return db.changesCount > 0
    }

    /// Servers installed in the workspace plus every default-enabled one.
    func installedServers(workspaceID: Int64) throws -> [InstalledServer] {
        let explicit = Set(
            try String.fetchAll(
                db, sql: "SELECT server FROM installations WHERE workspace_id = ?", arguments: [workspaceID]))
        return try servers().compactMap { server in
            if explicit.contains(server.slug) { return InstalledServer(definition: server, viaDefault: false) }
            if server.defaultEnabled { return InstalledServer(definition: server, viaDefault: true) }
            return nil
        }
    }
}
