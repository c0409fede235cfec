import Glibc

/// Which user owns a TCP socket on this machine, read from `/proc/net/tcp` and `/proc/net/tcp6`: how a loopback
/// listener tells a connection of its own user from another local user's (a browser cookie is sent to every port
/// of 127.0.0.1, so a cookie alone does not say who is asking), and how a client tells that a loopback listener is
/// its own user's.
public enum LoopbackOwners {
    /// The user of the process that connected from `peer` to `local` (both `address`, `port`); nil when no such
    /// connection is listed (not on this machine, or already gone). Only an established connection counts: a
    /// connection in TIME_WAIT is listed under uid 0, which must never pass for root's.
    public static func uidOfPeer(peer: (address: String, port: Int), local: (address: String, port: Int)) -> UInt32? {
        guard let peerEnd = encoded(peer.address, peer.port), let localEnd = encoded(local.address, local.port) else {
            return nil
        }
        return entries(v6: peerEnd.v6).first {
            $0.local == peerEnd.text && $0.remote == localEnd.text && $0.state == "01"  // 01: ESTABLISHED
        }?.uid
    }

    /// The user whose socket listens on `address`, `port`; nil when none does.
    public static func uidOfListener(address: String, port: Int) -> UInt32? {
        guard let end = encoded(address, port) else { return nil }
        return entries(v6: end.v6).first { $0.local == end.text && $0.state == "0A" }?.uid  // 0A: LISTEN
    }

    private struct Entry {
        let local: String
        let remote: String
        let state: String
        let uid: UInt32
    }

    /// The sockets the kernel lists: `sl local_address rem_address st … uid …`, addresses as `HEX:PORT`.
    private static func entries(v6: Bool) -> [Entry] {
        guard let text = read(v6 ? "/proc/net/tcp6" : "/proc/net/tcp") else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 7, let uid = UInt32(fields[7]) else { return nil }
            return Entry(local: String(fields[1]), remote: String(fields[2]), state: String(fields[3]), uid: uid)
        }
    }

    /// An address and port as the kernel prints them: each 32-bit word of the address as the number the host reads
    /// from its bytes (`%08X`), the port in four hex digits.
    private static func encoded(_ address: String, _ port: Int) -> (text: String, v6: Bool)? {
        let bare = address.hasPrefix("[") ? String(address.dropFirst().dropLast()) : address
        var bytes: [UInt8]
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, bare, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
        let words = stride(from: 0, to: bytes.count, by: 4).map { start in
            bytes[start..<start + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        }
        let text = words.map { hex($0, digits: 8) }.joined()
        return (text + ":" + hex(UInt32(port), digits: 4), bytes.count == 16)
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            data += chunk[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }
}
