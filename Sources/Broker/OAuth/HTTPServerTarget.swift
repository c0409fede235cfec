import Vault

/// An HTTP server's URL and headers with `${NAME}` resolved, for `sealgate oauth login`'s discovery request, and
/// the masker of its secrets: what the CLI prints about the server never holds one of their values.
public struct HTTPServerTarget {
    public let url: String
    public let headers: [(String, String)]
    private let masker: SecretMasker

    /// Resolves the installed definition's URL and headers (audited as an injection for `purpose`).
    public init(_ definition: ServerDefinition, workspace: String, vault: SecretVault, purpose: String) throws {
        guard case .http(let url, let headers) = definition.transport else {
            throw BrokerError(
                .refused, "server '\(definition.slug)' is a stdio server; OAuth is for HTTP servers",
                remedy: "give a stdio server its credentials as secrets (`sealgate secrets set`)")
        }
        let secrets = try vault.unsealForInjection(server: definition.slug, workspace: workspace, purpose: purpose)
        let resolved = try ResolvedHTTPTarget(
            url: url, headers: headers, secrets: secrets, server: definition.slug, workspace: workspace)
        self.url = resolved.url
        self.headers = resolved.headers.map { ($0.name, $0.value) }
        masker = resolved.masker
    }

    /// `text` with every value of the server's secrets (in any of the forms they may come back in) replaced.
    public func mask(_ text: String) -> String { masker.mask(text) }
}
