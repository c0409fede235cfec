import Glibc

/// The identity of the process at the other end of a Unix socket, from `SO_PEERCRED` (laid out like `struct ucred`,
/// which Glibc exports only under `_GNU_SOURCE`).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        (self.pid, self.uid, self.gid) = (pid, uid, gid)
    }

    /// Only processes of one's own user are trusted at either end of the broker socket: the broker admits only its
    /// own user (the socket is 0600 in a 0700 home, and this check holds even if those modes are loosened), and a
    /// client sends tokens only to a broker of its own user.
    public func isAllowed(ownUID: UInt32 = getuid()) -> Bool {
        uid == ownUID
    }

    /// Reads the peer of a connected socket descriptor.
    public static func of(socket fd: Int32) -> PeerCredentials? {
        var credentials = PeerCredentials(pid: 0, uid: UInt32.max, gid: UInt32.max)
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
            length == MemoryLayout<PeerCredentials>.size
        else { return nil }
        return credentials
    }
}

extension PeerCredentials {
    /// Nil when the process at the other end of the connected socket `fd` (a broker, at `path`) runs as this user;
    /// else why a client must not talk to it, in words for an error message. A client sends the broker the bearer
    /// tokens it checks and trusts its answers: a broker of another user could collect the one and forge the other.
    public static func refusal(ofBrokerAt path: String, socket fd: Int32, ownUID: UInt32 = getuid()) -> String? {
        guard let peer = of(socket: fd) else { return "cannot tell who serves \(path)" }
        guard peer.isAllowed(ownUID: ownUID) else {
            return "the process serving \(path) (pid \(peer.pid)) runs as uid \(peer.uid), not as this user"
        }
        return nil
    }
}
