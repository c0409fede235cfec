import GRDB

/// The vault schema, migrated forward only. Constraints live here, not in Swift.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
                    CREATE TABLE workspaces (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        slug TEXT NOT NULL UNIQUE,
                        name TEXT NOT NULL,
                        dek_term INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE TABLE data_keys (
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        term INTEGER NOT NULL,
                        sealed BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, term)
                    ) STRICT;
                    CREATE TABLE servers (
                        slug TEXT PRIMARY KEY,
                        transport TEXT NOT NULL CHECK (transport IN ('stdio', 'http')),
                        command TEXT,
                        args TEXT NOT NULL DEFAULT '[]',
                        url TEXT,
                        headers TEXT NOT NULL DEFAULT '[]',
                        env TEXT NOT NULL DEFAULT '[]',
                        default_enabled INTEGER NOT NULL DEFAULT 0,
                        shared INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL,
                        CHECK ((transport = 'stdio') = (command IS NOT NULL)),
                        CHECK ((transport = 'http') = (url IS NOT NULL))
                    ) STRICT;
                    CREATE TABLE installations (
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        server TEXT NOT NULL REFERENCES servers(slug) ON DELETE CASCADE,
                        installed_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, server)
                    ) STRICT;
                    CREATE TABLE secrets (
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        server TEXT NOT NULL,
                        name TEXT NOT NULL,
                        current_version INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, server, name)
                    ) STRICT;
                    CREATE TABLE secret_versions (
                        workspace_id INTEGER NOT NULL,
                        server TEXT NOT NULL,
                        name TEXT NOT NULL,
                        version INTEGER NOT NULL CHECK (version >= 1),
                        sealed BLOB NOT NULL,
                        created_at INTEGER NOT NULL,
                        created_by TEXT NOT NULL,
                        rolled_back_from INTEGER,
                        PRIMARY KEY (workspace_id, server, name, version),
                        FOREIGN KEY (workspace_id, server, name) REFERENCES secrets ON DELETE CASCADE
                    ) STRICT;
                    CREATE TABLE tokens (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL CHECK (kind IN ('workspace', 'client')),
                        workspace_id INTEGER REFERENCES workspaces(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        hash BLOB NOT NULL UNIQUE,
                        featuresets TEXT NOT NULL DEFAULT '[]',
                        created_at INTEGER NOT NULL,
                        expires_at INTEGER,
                        revoked_at INTEGER,
                        last_used_at INTEGER,
                        CHECK ((kind = 'workspace') = (workspace_id IS NOT NULL))
                    ) STRICT;
                    CREATE UNIQUE INDEX tokens_workspace_name ON tokens(workspace_id, name) WHERE kind = 'workspace';
                    CREATE UNIQUE INDEX tokens_client_name ON tokens(name) WHERE kind = 'client';
                    CREATE TABLE grants (
                        token_id INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        featuresets TEXT NOT NULL,
                        granted_at INTEGER NOT NULL,
                        PRIMARY KEY (token_id, workspace_id)
                    ) STRICT;
                    CREATE TABLE featuresets (
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        allow TEXT NOT NULL,
                        deny TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, name)
                    ) STRICT;
                    CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        actor TEXT NOT NULL,
                        event TEXT NOT NULL,
                        workspace TEXT,
                        target TEXT,
                        detail TEXT,
                        hash BLOB NOT NULL
                    ) STRICT;
                    """)
        }
        migrator.registerMigration("v2-usage") { db in
            // Analytics: counts only, never arguments or results. Not part of the configuration: writing here moves
            // no generation, and a deleted workspace takes its rows with it.
            try db.execute(
                sql: """
                    CREATE TABLE usage (
                        workspace_id INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                        server TEXT NOT NULL,
                        tool TEXT NOT NULL,
                        caller TEXT NOT NULL,
                        minute INTEGER NOT NULL,
                        calls INTEGER NOT NULL CHECK (calls >= 0),
                        errors INTEGER NOT NULL CHECK (errors >= 0),
                        latency TEXT NOT NULL,
                        last_used_at INTEGER NOT NULL,
                        PRIMARY KEY (workspace_id, server, tool, caller, minute)
                    ) STRICT;
                    CREATE INDEX usage_minute ON usage(minute);
                    """)
        }
        migrator.registerMigration("v3-audit-links") { db in
            // Each row that an audited change creates names the entry that created it, so `audit verify` can tell
            // a row whose entry was cut from the log. Existing rows are linked to the newest entry that describes
            // them; a row no entry describes keeps NULL, which `audit verify` reports.
            for rule in AuditLinks.rules {
                try db.execute(sql: "ALTER TABLE \(rule.table) ADD COLUMN audit_seq INTEGER")
                try db.execute(
                    sql: """
                        UPDATE \(rule.table) SET audit_seq = (SELECT max(a.seq) FROM audit a WHERE \(rule.matches))
                        """)
            }
        }
        migrator.registerMigration("v4-active-token-names") { db in
            // A name is unique among a workspace's (or the clients') tokens that are not revoked, so a revoked
            // token's name can be given to a new one. The revoked row stays, with its own `audit_seq` naming the
            // entry that created it, so `audit verify` still finds a creating entry for each row of the name.
            try db.execute(
                sql: """
                    DROP INDEX tokens_workspace_name;
                    DROP INDEX tokens_client_name;
                    CREATE UNIQUE INDEX tokens_workspace_name ON tokens(workspace_id, name)
                        WHERE kind = 'workspace' AND revoked_at IS NULL;
                    CREATE UNIQUE INDEX tokens_client_name ON tokens(name) WHERE kind = 'client' AND revoked_at IS NULL;
                    """)
        }
        migrator.registerMigration("v5-oauth-settings") { db in
            // A server's pre-registered OAuth client and scopes (JSON), NULL for none. The grants themselves are
            // sealed secrets of (workspace, server) under reserved names, in the tables that already exist.
            try db.execute(sql: "ALTER TABLE servers ADD COLUMN oauth TEXT")
        }
        migrator.registerMigration("v6-dashboard-links") { db in
            // One-time dashboard login links, by keyed hash: a row can be made only with the key, and is deleted by
            // its one use. Not configuration: writing one moves no generation and is outside the audit head.
            try db.execute(
                sql: """
                    CREATE TABLE dashboard_links (
                        hash BLOB PRIMARY KEY,
                        expires_at INTEGER NOT NULL
                    ) WITHOUT ROWID
                    """)
        }
        return migrator
    }

    /// The schema version this build writes: the number of migrations, each of which moves it up by one.
    static var version: Int { migrator.migrations.count }
}
