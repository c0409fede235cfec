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

    /// Whether this pattern could allow some resource of `slug`: it names that server (or a glob that matches it),
    /// or it is a plain pattern that can match a URI at all. A URI starts with a scheme (a letter, then letters,
    /// digits, `+`, `-` or `.`) and a colon, so a plain pattern whose fixed start rules that out, such as a tool
    /// pattern `github__*`, cannot.
    func mayApply(toServer slug: String) -> Bool {
        if let server { return server.matches(slug) }
        let start = uri.literalPrefix.unicodeScalars
        guard let colon = start.firstIndex(of: ":") else { return Self.isSchemeStart(start) }
        let scheme = start[..<colon]
        return !scheme.isEmpty && Self.isSchemeStart(scheme)
    }

    /// Whether `text` starts as a URI does: a scheme (a letter, then letters, digits, `+`, `-` or `.`) and a colon.
    static func startsWithScheme(_ text: String) -> Bool {
        let characters = text.unicodeScalars
        guard let colon = characters.firstIndex(of: ":") else { return false }
        let scheme = characters[..<colon]
        return !scheme.isEmpty && isSchemeStart(scheme)
    }

    /// Whether `characters` can begin a URI scheme.
    private static func isSchemeStart<C: Collection<Unicode.Scalar>>(_ characters: C) -> Bool {
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        guard let first = characters.first else { return true }
        return isLetter(first)
            && characters.dropFirst().allSatisfy {
                isLetter($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0)
            }
    }
}
