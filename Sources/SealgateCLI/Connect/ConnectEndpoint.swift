import ArgumentParser
import Foundation

/// The URL `sealgate connect SLUG --url URL` posts to: the workspace's endpoint on the gateway that `URL` names.
///
/// Users pass what `serve` prints first, the gateway's base URL, as often as a workspace's endpoint; both must reach
/// SLUG's endpoint. A URL that names another workspace is refused rather than silently preferred to SLUG.
enum ConnectEndpoint {
    static func resolve(slug: String, url: String?) throws -> String {
        guard let url else { return GatewayAddress.workspaceURL(slug) }
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), components.host?.isEmpty == false
        else {
            throw ValidationError(
                "--url \(url) is not an http(s) URL; pass the gateway's base URL, e.g. --url http://127.0.0.1:8787")
        }
        var segments = components.path.split(separator: "/").map(String.init)
        if segments.last == "ws" { segments.removeLast() }  // `…/ws/`: the base URL, as far as the user went
        if let ws = segments.lastIndex(of: "ws"), ws + 1 < segments.count {
            let named = segments[ws + 1]
            guard named == slug else {
                throw ValidationError(
                    "--url \(url) is the endpoint of workspace '\(named)', not '\(slug)'; run `sealgate connect "
                        + "\(named)` for that workspace, or pass the gateway's base URL (without /ws/…) with \(slug)")
            }
            let rest = segments[(ws + 2)...]
            guard rest.isEmpty || Array(rest) == ["mcp"] else {
                throw ValidationError(
                    "--url \(url) is not a Streamable HTTP endpoint (the bridge speaks no legacy SSE); use "
                        + "…/ws/\(slug)/mcp, or the gateway's base URL")
            }
            components.path = "/" + (segments[...(ws + 1)] + ["mcp"]).joined(separator: "/")
        } else if segments.last != "mcp" {
            // A base URL, perhaps under a reverse proxy's prefix: the workspace's endpoint is below it.
            components.path = "/" + (segments + ["ws", slug, "mcp"]).joined(separator: "/")
        }
        // Anything else ending in /mcp (such as /active/mcp) is an endpoint already.
        guard let resolved = components.string else {
            throw ValidationError(
                "--url \(url) cannot be used; pass the gateway's base URL, e.g. http://127.0.0.1:8787")
        }
        return resolved
    }
}
