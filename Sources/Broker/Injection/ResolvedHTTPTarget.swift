import Foundation
import Vault

/// An HTTP upstream's URL and headers with `${NAME}` resolved from its secrets.
struct ResolvedHTTPTarget {
    let url: String
    let headers: [(name: String, value: String)]
    let masker: SecretMasker

    /// `bearer`: an OAuth grant's access token and the values to mask with it. It replaces any `Authorization`
    /// header of the definition: the grant is what the server asked for.
    init(
        url: String, headers: [ServerDefinition.Header], secrets: [InjectedSecret], server: String, workspace: String,
        bearer: OAuthBearer? = nil, alsoMasking: [InjectedSecret] = []
    ) throws(BrokerError) {
        let references = SecretReferences(secrets: secrets, server: server, workspace: workspace)
        func resolve(_ text: String) throws(BrokerError) -> String {
            String(decoding: try references.resolve(text), as: UTF8.self)
        }
        // Values are checked here, before any HTTP code sees them: the HTTP client's own refusals quote the value.
        let resolvedURL = try resolve(url)
        guard Self.isUsableURL(resolvedURL) else {
            throw BrokerError(
                .refused, "the URL of server '\(server)' (\(url)) is not a valid http or https URL once resolved",
                remedy: "check the URL and the secrets it refers to")
        }
        self.url = resolvedURL
        var resolved = try headers.map { (header) throws(BrokerError) -> (name: String, value: String) in
            let value = try resolve(header.value)
            // A line break would end the header and start another one of the value's choosing; other control
            // characters are refused by the HTTP client in an error that quotes them.
            guard Self.isUsableHeaderValue(value) else {
                throw BrokerError(
                    .refused,
                    "header \(header.name) of server '\(server)' would contain a control character (a line break, NUL or another byte below 0x20 other than tab, or DEL)",
                    remedy: "check the secrets it refers to")
            }
            return (header.name, value)
        }
        if let bearer {
            resolved.removeAll { $0.name.lowercased() == "authorization" }
            if let token = bearer.accessToken { resolved.append(("Authorization", "Bearer " + token)) }
        }
        self.headers = resolved
        self.masker = SecretMasker(secrets + (bearer?.masked ?? []) + alsoMasking)
    }

    /// A header field value as RFC 9110 allows it: visible characters, spaces, tabs and bytes from 0x80.
    static func isUsableHeaderValue(_ value: String) -> Bool {
        !value.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    /// An absolute http or https URL with a host, and no whitespace or control character anywhere in it.
    static func isUsableURL(_ text: String) -> Bool {
        guard !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host,
            !host.isEmpty
        else { return false }
        return true
    }
}
