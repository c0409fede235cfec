import ArgumentParser
import Foundation

/// The URL `sealgate connect SLUG --url URL` posts to: the workspace's endpoint on the gateway that `URL` names.
///
/// Users pass what `serve` prints first, the gateway's base URL, as often as a workspace's endpoint; both must reach
/// SLUG's endpoint. Any other endpoint (`/active/mcp`, another workspace's) is refused rather than silently preferred
/// to SLUG. A URL is shown (in errors, warnings, advice) without its user information: it may hold a password.
enum ConnectEndpoint {
    /// The gateway's own endpoint names: a URL path holding one outside `/ws/SLUG/mcp` is no base URL.
    static let endpointSegments: Set<String> = ["mcp", "sse", "messages", "active"]

    static func resolve(slug: String, url: String?) throws -> String {
        guard let url else { return GatewayAddress.workspaceURL(slug) }
        let shown = shown(url)
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), components.host?.isEmpty == false
        else {
            throw ValidationError(
                "--url \(shown) is not an http(s) URL; pass the gateway's base URL, e.g. --url http://127.0.0.1:8787")
        }
        var segments = components.path.split(separator: "/").map(String.init)
        if segments.last == "ws" { segments.removeLast() }  // `…/ws/`: the base URL, as far as the user went
        if let ws = segments.lastIndex(of: "ws"), ws + 1 < segments.count {
            let named = segments[ws + 1]
            guard named == slug else {
                throw ValidationError(
                    "--url \(shown) is the endpoint of workspace '\(named)', not '\(slug)'; run `sealgate connect "
                        + "\(named)` for that workspace, or pass the gateway's base URL (without /ws/…) with \(slug)")
            }
            let rest = segments[(ws + 2)...]
            guard rest.isEmpty || Array(rest) == ["mcp"] else {
                throw ValidationError(
                    "--url \(shown) is not a Streamable HTTP endpoint (the bridge speaks no legacy SSE); use "
                        + "…/ws/\(slug)/mcp, or the gateway's base URL")
            }
            components.path = "/" + (segments[...(ws + 1)] + ["mcp"]).joined(separator: "/")
        } else if let first = segments.firstIndex(where: endpointSegments.contains) {
            // `/active/mcp` and the like: an endpoint, but not SLUG's; taking it would ignore SLUG without a word.
            var base = components
            (base.user, base.password, base.query, base.fragment) = (nil, nil, nil, nil)
            base.path = segments[..<first].map { "/" + $0 }.joined()
            let baseURL = base.string ?? "http://127.0.0.1:8787"
            throw ValidationError(
                "--url \(shown) is not the endpoint of workspace '\(slug)'; pass the gateway's base URL, "
                    + "--url \(baseURL), or the workspace's endpoint, --url \(baseURL)/ws/\(slug)/mcp")
        } else {
            // A base URL, perhaps under a reverse proxy's prefix: the workspace's endpoint is below it.
            components.path = "/" + (segments + ["ws", slug, "mcp"]).joined(separator: "/")
        }
        guard let resolved = components.string else {
            throw ValidationError(
                "--url \(shown) cannot be used; pass the gateway's base URL, e.g. http://127.0.0.1:8787")
        }
        return resolved
    }

    /// `url` without its user information (`user:password@`), to be shown on a terminal or in a log.
    static func shown(_ url: String) -> String {
        guard let marker = url.firstRange(of: "://") else {
            // No authority to find: show nothing of it that could be a password.
            return url.contains("@") ? "<the URL given>" : url
        }
        let authorityEnd = url[marker.upperBound...].firstIndex { "/?#".contains($0) } ?? url.endIndex
        guard let at = url[marker.upperBound..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<marker.upperBound] + url[url.index(after: at)...])
    }

    /// A warning when `endpoint` is plain http to a host that is not this machine's loopback: the bearer token
    /// would cross the network unencrypted. Nil otherwise.
    static func unencryptedWarning(_ endpoint: String) -> String? {
        guard let components = URLComponents(string: endpoint), components.scheme?.lowercased() == "http",
            let host = components.host?.lowercased(), !isLoopback(host)
        else { return nil }
        return "\(shown(endpoint)) is plain http to \(host), which is not this machine: the token travels "
            + "unencrypted; put the gateway behind https (a reverse proxy) or reach it through an SSH tunnel"
    }

    /// Whether `host` names this machine's loopback interface.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
