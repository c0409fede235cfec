/// Resource URIs as clients see them. A URI stays as the server wrote it, unless two servers of a workspace list
/// the same one: then each is shown as `sealgate://SERVER/PERCENT-ENCODED-URI`, which routes back unambiguously.
enum ResourceAddress {
    static let scheme = "sealgate://"

    static func disambiguated(_ uri: String, server: String) -> String {
        scheme + server + "/" + percentEncoded(uri)
    }

    /// The server and original URI of a disambiguated address.
    static func parse(_ address: String) -> (server: String, uri: String)? {
        guard address.hasPrefix(scheme) else { return nil }
        let rest = address.dropFirst(scheme.count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return (String(rest[..<slash]), PercentDecoding.decode(rest[rest.index(after: slash)...]))
    }

    /// Whether `uri` could come from an RFC 6570 `template`: its fixed text before the first expression is a
    /// prefix. Enough to route reads of templated resources; the server itself decides whether the URI exists.
    static func matches(_ uri: String, template: String) -> Bool {
        let fixed = template.prefix { $0 != "{" }
        return fixed.count < template.count ? uri.hasPrefix(fixed) : uri == template
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
