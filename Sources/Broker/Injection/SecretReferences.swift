import Vault

/// Resolves `${NAME}` in a server's command, arguments, environment, URL and headers from its secrets.
struct SecretReferences {
    let secrets: [InjectedSecret]
    let server: String
    let workspace: String

    /// The text with every `${NAME}` replaced by that secret's bytes. A name with no secret is an error that
    /// says which secret to set; a `${` without its `}` is left as it is.
    func resolve(_ text: String) throws(BrokerError) -> [UInt8] {
        var out: [UInt8] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            out += Array(rest[..<start.lowerBound].utf8)
            let name = String(rest[start.upperBound..<end])
            guard let secret = secrets.first(where: { $0.name == name }) else {
                throw BrokerError(
                    .notFound, "server '\(server)' refers to ${\(name)}, which is not set in '\(workspace)'",
                    remedy: "run `sealgate secrets set \(server) \(name) --workspace \(workspace)`")
            }
            secret.value.withUnsafeBytes { out += $0 }
            rest = rest[rest.index(after: end)...]
        }
        return out + Array(rest.utf8)
    }
}
