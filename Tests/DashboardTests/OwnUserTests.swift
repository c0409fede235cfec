import Foundation
import Glibc
import SocketTrust
import Testing

@testable import Dashboard

/// A browser sends its cookies to every port of 127.0.0.1, so another local user who gets the session cookie (a page
/// they serve on some port) must still be refused: the dashboard serves only the user who runs it.
@Suite struct OwnUserTests {
    @Test func theKernelNamesTheOwnerOfALoopbackListenerAndOfAConnection() async throws {
        let fixture = try await DashboardFixture()
        #expect(LoopbackOwners.uidOfListener(address: "127.0.0.1", port: fixture.port) == getuid())
        #expect(LoopbackOwners.uidOfListener(address: "127.0.0.1", port: 1) == nil)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(fixture.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var own = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &own) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        let ownPort = Int(UInt16(bigEndian: own.sin_port))
        #expect(
            LoopbackOwners.uidOfPeer(peer: ("127.0.0.1", ownPort), local: ("127.0.0.1", fixture.port)) == getuid())
        #expect(LoopbackOwners.uidOfPeer(peer: ("127.0.0.1", ownPort), local: ("127.0.0.1", 1)) == nil)
    }

    /// Played for real: the session's cookie, the right `Host`, sent by another user's process (nobody). Needs root
    /// to become another user; CI runs as root.
    @Test(.enabled(if: getuid() == 0, "becoming another user needs root"))
    func anotherLocalUserWithTheSessionCookieIsRefused() async throws {
        let fixture = try await DashboardFixture()
        let browser = try await fixture.signIn()
        let request =
            "GET / HTTP/1.1\\r\\nHost: 127.0.0.1:\(fixture.port)\\r\\nCookie: \(SessionGuard.cookieName)=\(browser.cookie)\\r\\nConnection: close\\r\\n\\r\\n"
        let asNobody = try await Self.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/\(fixture.port); printf '\(request)' >&3; head -c 400 <&3",
            ])
        #expect(asNobody.hasPrefix("HTTP/1.1 403"), "\(asNobody)")
        #expect(!asNobody.contains("_csrf"))
        // The same bytes from this user are served: the cookie was good, only the user was wrong.
        let asOwner = try await Self.run(
            "/usr/bin/bash",
            ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(fixture.port); printf '\(request)' >&3; head -c 400 <&3"])
        #expect(asOwner.hasPrefix("HTTP/1.1 200"), "\(asOwner)")
    }

    /// A program's output, waited for on a thread of its own.
    static func run(_ program: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: program)
                    process.arguments = arguments
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    process.standardError = pipe
                    try process.run()
                    let output = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: String(decoding: output, as: UTF8.self))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
