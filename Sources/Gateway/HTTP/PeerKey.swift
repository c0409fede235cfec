import Glibc

/// The key under which a peer's connections and failed token checks are counted: an IPv4 address (an IPv4-mapped
/// IPv6 address counts as its IPv4 address), or the /64 an IPv6 address belongs to, since one IPv6 host commonly
/// holds a whole /64 and could otherwise take a fresh key for every connection.
enum PeerKey {
    static func of(_ address: String) -> String {
        var bytes = in6_addr()
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        let octets = withUnsafeBytes(of: &bytes) { Array($0) }
        if octets[0..<10].allSatisfy({ $0 == 0 }) && octets[10] == 0xFF && octets[11] == 0xFF {
            return octets[12...].map(String.init).joined(separator: ".")
        }
        if octets[0..<15].allSatisfy({ $0 == 0 }) && octets[15] == 1 { return "::1" }
        let groups = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/64"
    }
}
