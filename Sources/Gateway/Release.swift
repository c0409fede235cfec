/// Which Sealgate this is: what `sealgate --version` prints and the gateway tells clients as its `serverInfo`.
///
/// Kept in the gateway because the gateway is the one module that must name it to a peer; the CLI imports it.
public enum Release {
    /// The version, semantic: a vault written by a newer version may be refused by an older one.
    public static let version = "0.1.0"
}
