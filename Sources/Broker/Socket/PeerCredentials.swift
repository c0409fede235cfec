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

    /// Only processes of the broker's own user may talk to it: the socket is 0600 in a 0700 home, and this check
    /// holds even if those modes are loosened.
    public func isAllowed(ownUID: UInt32 = getuid()) -> Bool {
        uid == ownUID
    }

    /// Reads the peer of a connected socket descriptor.
    static func of(socket fd: Int32) -> PeerCredentials? {
        var credentials = PeerCredentials(pid: 0, uid: UInt32.max, gid: UInt32.max)
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0,
            length == MemoryLayout<PeerCredentials>.size
        else { return nil }
        return credentials
    }
}
