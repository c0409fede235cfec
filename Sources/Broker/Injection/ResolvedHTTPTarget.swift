import Vault

/// An HTTP upstream's URL and headers with `${NAME}` resolved from its secrets.
struct ResolvedHTTPTarget {
    let url: String
    let headers: [(name: String, value: String)]
    let masker: SecretMasker

    init(url: String, headers: [ServerDefinition.Header], secrets: [InjectedSecret], server: String, workspace: String)
        throws(BrokerError)
    {
        let references = SecretReferences(secrets: secrets, server: server, workspace: workspace)
        func resolve(_ text: String) throws(BrokerError) -> String {
            String(decoding: try references.resolve(text), as: UTF8.self)
        }
        self.url = try resolve(url)
        self.headers = try headers.map { (header) throws(BrokerError) -> (name: String, value: String) in
            let value = try resolve(header.value)
            // A line break would end the header and start another one of the value's choosing.
            guard !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
                throw BrokerError(
                    .refused, "header \(header.name) of server '\(server)' would contain a line break or NUL byte",
                    remedy: "check the secrets it refers to")
            }
            return (header.name, value)
        }
        self.masker = SecretMasker(secrets)
    }
}
