import Vault

/// Resolves `${NAME}` in a server's command, arguments, environment, URL and headers from its secrets, and
/// `${NAME:file}` to the path of a file that holds the value (see ``SecretFiles``).
///
/// `${NAME:file}` is for a stdio server's arguments and environment: a value in an argument is on the command line,
/// which every local user can read (`ps`, `/proc/PID/cmdline`); a path is not the value. With no `files`, as for an
/// HTTP server's URL and headers or a command, it is refused.
struct SecretReferences {
    let secrets: [InjectedSecret]
    let server: String
    let workspace: String
    /// Where `${NAME:file}` writes its files; nil where the form makes no sense.
    var files: SecretFiles? = nil

    /// The text with every `${NAME}` replaced by that secret's bytes and every `${NAME:file}` by a file's path. A
    /// name with no secret is an error that says which secret to set; a `${` without its `}` is left as it is.
    func resolve(_ text: String) throws(BrokerError) -> [UInt8] {
        var out: [UInt8] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            out += Array(rest[..<start.lowerBound].utf8)
            let reference = rest[start.upperBound..<end]
            let asFile = reference.hasSuffix(Self.fileSuffix)
            let name = String(asFile ? reference.dropLast(Self.fileSuffix.count) : reference)
            guard let secret = secrets.first(where: { $0.name == name }) else {
                throw BrokerError(
                    .notFound, "server '\(server)' refers to ${\(name)}, which is not set in '\(workspace)'",
                    remedy: "run `sealgate secrets set \(server) \(name) --workspace \(workspace)`")
            }
            if asFile {
                guard let files else {
                    throw BrokerError(
                        .refused, "server '\(server)' uses ${\(name):file} where only a value can go",
                        remedy: "use ${\(name):file} only in a stdio server's --arg and --env")
                }
                let path = try files.path(for: secret, server: server)
                out += Array(path.utf8)
            } else {
                secret.value.withUnsafeBytes { out += $0 }
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + Array(rest.utf8)
    }

    static let fileSuffix = ":file"
}
