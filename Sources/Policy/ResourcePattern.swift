/// A FeatureSet pattern as it applies to resources: either a glob over the URI, which allows (or denies) that URI on
/// any server, or `sealgate://SERVER/URI`, the form the gateway shows a resource in, whose two parts are globs over
/// the server's slug and over the URI as the server lists it (not percent-encoded).
///
/// `sealgate://docs/file:///public/*` allows `file:///public/…` of server `docs` only, whichever way the client
/// names it (the bare URI, or `sealgate://docs/…`); `file:///public/*` allows it of every server, as it always did.
struct ResourcePattern: Sendable {
    /// nil: any server.
    let server: GlobPattern?
    let uri: GlobPattern

    init(_ glob: GlobPattern) {
        let scheme = "sealgate://"
        let rest = glob.text.dropFirst(scheme.count)
        if glob.text.hasPrefix(scheme), let slash = rest.firstIndex(of: "/") {
            server = GlobPattern(String(rest[..<slash]))
            uri = GlobPattern(String(rest[rest.index(after: slash)...]))
        } else {
            server = nil
            uri = glob
        }
    }

    func matches(server slug: String, uri resource: String) -> Bool {
        (server?.matches(slug) ?? true) && uri.matches(resource)
    }
}
