import Foundation

/// Another local user's fake broker: a socket bound at `path` by this process (so the file and its directory pass
/// every placement check), listened on and served by a process running as uid 65534. Only the peer's credentials
/// give it away. Listening once `init` returns, it accepts one connection and records every byte the client sends until the client hangs up (or
/// stays quiet for 3 s). Needs root (to run it as another user) and `setpriv`.
public final class ForeignBroker {
    public static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }

    private let process = Process()
    private let output = Pipe()

    public init(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard fd >= 0, bound == 0 else { throw ChildProcessError("cannot bind \(path)") }
        defer { close(fd) }
        // listen() is what the client's SO_PEERCRED reports: the foreign user makes it, on the socket given as stdin.
        let script = """
            import socket, sys
            s = socket.socket(fileno=0)
            s.listen(4)
            sys.stderr.write("listening\\n")
            sys.stderr.flush()
            s.settimeout(30)
            try:
                c, _ = s.accept()
            except OSError:
                sys.exit(0)
            c.settimeout(3)
            data = b""
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            sys.stdout.write(data.hex())
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script,
        ]
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        process.standardInput = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        process.standardOutput = output
        let ready = Pipe()
        process.standardError = ready
        try process.run()
        process.killIfStillRunning(after: 60)
        // Listening before anyone connects (a client does not retry); the pipe ends if it died instead.
        _ = ready.fileHandleForReading.availableData
    }

    /// Everything its one client sent, once that client hung up or went quiet.
    public func received() throws -> [UInt8] {
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = try process.waitForExit()
        var bytes: [UInt8] = []
        var index = text.startIndex
        while let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex), index < text.endIndex {
            if let byte = UInt8(text[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        return bytes
    }
}
