import Foundation

/// The URL rules OAuth discovery lives by: well-known locations (RFC 8615, RFC 8414 §3.1, RFC 9728 §3.1), the
/// canonical resource URI (RFC 8707, MCP authorization), and which endpoints may be used at all.
public enum OAuthURL {
    /// Where a resource's protected resource metadata may be, in the order the MCP authorization spec (2025-11-25)
    /// tries them: the well-known suffix inserted before the resource's path, then at the root.
    public static func protectedResourceMetadataCandidates(for resource: String) -> [String] {
        guard let (origin, path) = split(resource) else { return [] }
        let root = origin + "/.well-known/oauth-protected-resource"
        return path.isEmpty ? [root] : [root + path, root]
    }

    /// Where an authorization server's metadata may be, in the spec's order: RFC 8414 with the issuer's path
    /// appended after the well-known suffix, then OpenID Connect Discovery the same way, then OpenID Connect with
    /// the suffix appended to the issuer's path.
    public static func authorizationServerMetadataCandidates(for issuer: String) -> [String] {
        guard let (origin, path) = split(issuer) else { return [] }
        if path.isEmpty {
            return [origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration"]
        }
        return [
            origin + "/.well-known/oauth-authorization-server" + path,
            origin + "/.well-known/openid-configuration" + path,
            origin + path + "/.well-known/openid-configuration",
        ]
    }

    /// The canonical URI of an MCP server (RFC 8707 `resource`): lower-case scheme and host, no fragment or query,
    /// no trailing slash on a path.
    public static func canonicalResource(_ url: String) -> String? {
        guard let (origin, path) = split(url) else { return nil }
        return origin + path
    }

    /// Whether two issuer identifiers are the same. Identical, except that a lone trailing slash on an issuer
    /// without a path is not a difference (some servers serialise `https://as.example` as `https://as.example/`).
    public static func sameIssuer(_ a: String, _ b: String) -> Bool {
        a == b || (a.hasSuffix("/") && String(a.dropLast()) == b) || (b.hasSuffix("/") && String(b.dropLast()) == a)
    }

    /// Whether an endpoint may carry credentials: HTTPS, or plain HTTP only to this machine (RFC 8252 §8.3; the
    /// OAuth 2.1 draft requires TLS everywhere else). No userinfo, no fragment.
    public static func isAcceptableEndpoint(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
            components.fragment == nil, !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F })
        else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && isLoopback(host)
    }

    /// Whether `host` names this machine, in any spelling a resolver or `inet_aton` accepts: `localhost` and its
    /// subdomains (with or without the final dot), 127.0.0.0/8 and 0.0.0.0 in dotted, short or numeric forms, and
    /// `::1`, `::` and IPv4-mapped loopback.
    public static func isLoopback(_ host: String) -> Bool {
        var name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        while name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if inet_aton(name, &v4) != 0 {
            let address = UInt32(bigEndian: v4.s_addr)
            return address >> 24 == 127 || address == 0
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, name, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) { return bytes[15] <= 1 }  // `::` and `::1`
        let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xFF && bytes[11] == 0xFF
        return mapped && (bytes[12] == 127 || bytes[12...15].allSatisfy { $0 == 0 })
    }

    /// Whether `resource` names `server` itself (RFC 9728 §3.3: a document naming another resource, a parent path
    /// included, is not used: a token for the parent would be good at every server under it).
    public static func resource(_ resource: String, covers server: String) -> Bool {
        guard let named = canonicalResource(resource), let own = canonicalResource(server) else { return false }
        return named == own
    }

    /// `isAcceptableEndpoint`, and on this machine only when `origin` (the URL that named the endpoint) is too:
    /// a remote server must not make the broker or the CLI send requests to local services.
    public static func isAcceptableEndpoint(_ text: String, namedBy origin: String) -> Bool {
        guard isAcceptableEndpoint(text), let host = URLComponents(string: text)?.host else { return false }
        guard isLoopback(host) else { return true }
        return URLComponents(string: origin)?.host.map(isLoopback) ?? false
    }

    /// Adds query parameters to a URL that may already have some.
    public static func adding(_ parameters: [(String, String)], to base: String) -> String? {
        guard var components = URLComponents(string: base) else { return nil }
        var items = components.percentEncodedQueryItems ?? []
        for (name, value) in parameters {
            items.append(URLQueryItem(name: formEncode(name), value: formEncode(value)))
        }
        components.percentEncodedQueryItems = items
        return components.string
    }

    /// `application/x-www-form-urlencoded` as a token endpoint reads it: unreserved characters as they are,
    /// everything else percent-encoded (a space too, which keeps one rule for query strings and bodies).
    public static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let unreserved =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            out += unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }
        return out
    }

    public static func formBody(_ parameters: [(String, String)]) -> String {
        parameters.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&")
    }

    /// `scheme://host[:port]` (lower-cased, default port dropped) and the path without a trailing slash.
    static func split(_ text: String) -> (origin: String, path: String)? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        var origin = scheme + "://" + (host.contains(":") ? "[\(host)]" : host)
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            origin += ":\(port)"
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        return (origin, path)
    }
}
