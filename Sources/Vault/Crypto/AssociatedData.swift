/// Additional data that binds each sealed blob to the row it lives in.
///
/// Each kind starts with its own domain string, so a blob of one kind never opens as another.
enum AssociatedData {
    /// The vault root key, sealed by the key-encryption key.
    static func root() -> [UInt8] {
        Array("sealgate/root/v1".utf8)
    }

    /// A workspace's data key: bound to the workspace id and the data key's term.
    static func dataKey(workspaceID: Int64, term: UInt32) -> [UInt8] {
        var out = Array("sealgate/dek/v1".utf8)
        out.appendBigEndian(workspaceID)
        out.appendBigEndian(term)
        return out
    }

    /// One version of a secret: bound to (workspace id, server, name, version); the data key term is in the header.
    static func secret(workspaceID: Int64, server: String, name: String, version: Int64) -> [UInt8] {
        var out = Array("sealgate/secret/v1".utf8)
        out.appendBigEndian(workspaceID)
        out.appendField(server)
        out.appendField(name)
        out.appendBigEndian(version)
        return out
    }
}
