import Glibc

/// Where the broker socket may be: somewhere no other local user can put a socket of their own, or move the
/// directory that holds it. The broker refuses to listen anywhere else, and its clients (the gateway, `sealgate
/// leases`) refuse to connect: a socket in a directory another user can write could be theirs, and a client would
/// hand it every bearer token it checks.
public enum SocketPlacement {
    /// Nil when `path` is placed safely, else what is wrong, in words for an error message:
    /// - the directory that holds it is owned by the user or root and writable by nobody else;
    /// - every directory above is owned by the user or root, and writable by others only with the sticky bit (as
    ///   `/tmp` is: then nobody else can rename or remove what the user made in it); symbolic links among them are
    ///   resolved first, so these are the directories the path really goes through;
    /// - the socket itself, if it exists, is not a symbolic link, and belongs to the user.
    public static func problem(with path: String, ownUID: uid_t = getuid()) -> String? {
        let absolute = path.hasPrefix("/") ? path : currentDirectory() + "/" + path
        var components = absolute.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let name = components.popLast() else { return "\(path) is not a socket path" }
        // The directories as they really are: through a symbolic link, the ones that matter are the target's.
        guard let resolved = realpath("/" + components.joined(separator: "/"), nil) else {
            return "cannot check the directory of \(path): \(String(cString: strerror(errno)))"
        }
        components = String(cString: resolved).split(separator: "/").map(String.init)
        free(resolved)
        let socket = "/" + (components + [name]).joined(separator: "/")
        var directory = "/"
        var info = stat()
        for (index, component) in ([""] + components).enumerated() {
            if index > 0 { directory += (directory == "/" ? "" : "/") + component }
            guard stat(directory, &info) == 0 else {
                return "cannot check \(directory): \(String(cString: strerror(errno)))"
            }
            guard info.st_uid == ownUID || info.st_uid == 0 else {
                return "\(directory) belongs to another user (uid \(info.st_uid))"
            }
            let writableByOthers = info.st_mode & (S_IWGRP | S_IWOTH) != 0
            let isParent = index == components.count
            if writableByOthers && (isParent || info.st_mode & S_ISVTX == 0) {
                return "\(directory) can be written by other users (mode \(String(info.st_mode & 0o7777, radix: 8)))"
            }
        }
        if lstat(socket, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFLNK { return "\(path) is a symbolic link" }
            if info.st_uid != ownUID { return "\(path) belongs to another user (uid \(info.st_uid))" }
        }
        return nil
    }

    private static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "." }
        defer { free(buffer) }
        return String(cString: buffer)
    }
}
