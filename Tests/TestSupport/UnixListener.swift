import Glibc

/// A listening Unix-domain socket at `path`, replacing any file there: tests that stand in for a broker listen on
/// one, and close it (and unlink the path) themselves.
public func listenOnUnixSocket(at path: String) throws(UnixListenerError) -> Int32 {
    unlink(path)
    var address = sockaddr_un()
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw UnixListenerError(path: path) }
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(listener, 16) == 0 else {
        close(listener)
        throw UnixListenerError(path: path)
    }
    return listener
}

public struct UnixListenerError: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "cannot listen on \(path)" }
}

/// A path for a test's socket in a new directory only this user can write: the broker's clients refuse a socket in a
/// directory others can write (such as `/tmp` itself).
public func privateSocketPath(_ name: String) throws(UnixListenerError) -> String {
    var template = Array("/tmp/sealgate-sock-XXXXXX".utf8CString)
    guard let directory = mkdtemp(&template) else { throw UnixListenerError(path: "/tmp/sealgate-sock-XXXXXX") }
    return String(cString: directory) + "/\(name).sock"
}
