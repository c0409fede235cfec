import Glibc

/// Which `Host` header values a listener on this machine answers: the DNS-rebinding defence, shared by the gateway
/// and the dashboard. A page of another site that makes a browser reach a loopback listener through a name it
/// rebinds to this machine sends that name as `Host` (and its own origin, or none, for a simple request), so only
/// names that cannot be an attacker's are accepted: `localhost`, IPv4 literals in 127.0.0.0/8, `[::1]`, the listen
/// address, and names the configuration adds. On every address (`0.0.0.0`, `::`), any IP literal is accepted too: a
/// browser sends an IP literal as `Host` only for a page loaded from that address, which is the listener's own. The
/// port is not compared.
public struct AllowedHosts: Sendable {
    private let listen: [UInt8]?
    private let listensEverywhere: Bool
    private let names: Set<String>

    /// `listenHost` is the address the listener is bound to; `names` are further host names to accept.
    public init(listenHost: String, names: [String] = []) {
        listen = Self.address(listenHost)
        listensEverywhere = listen.map { $0.allSatisfy { $0 == 0 } } ?? false
        self.names = Set(names.map { $0.lowercased() })
    }

    /// Whether a `Host` header value names this listener; false for a malformed one as for a foreign one.
    public func allows(value: String) -> Bool {
        Self.hostPart(value).map { allows($0) } ?? false
    }

    /// Whether `host` (lowercased, without the port; an IPv6 literal without its brackets) is one to answer to.
    public func allows(_ host: String) -> Bool {
        if host == "localhost" || names.contains(host) { return true }
        guard let address = Self.address(host) else { return false }
        if address.count == 4 && address[0] == 127 { return true }
        if address == Array(repeating: 0, count: 15) + [1] { return true }  // ::1
        return listensEverywhere || address == listen
    }

    /// The host of a `Host` value: lowercased, without the port, an IPv6 literal without brackets; nil when the
    /// value is not a host with an optional port.
    public static func hostPart(_ value: String) -> String? {
        let value = value.lowercased()
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else {
                return nil
            }
            return String(value[value.index(after: value.startIndex)..<close])
        }
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let host = parts.first, !host.isEmpty else { return nil }
        if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy(\.isASCIIDigit) { return nil }
        return String(host)
    }

    /// The bytes of an IPv4 or IPv6 literal (an IPv4-mapped IPv6 address as its IPv4 bytes); nil for a name.
    public static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return Array(bytes[12...])
        }
        return bytes
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
