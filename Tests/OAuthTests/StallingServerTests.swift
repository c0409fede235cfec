import AsyncHTTPClient
import Foundation
import Testing

@testable import OAuth

/// A hostile authorization server that sends a response head and then nothing: the exchange ends at its deadline
/// (the HTTP client's own ends with the head), so neither a login nor the broker's refreshes of a grant hang.
@Suite struct StallingServerTests {
    @Test(.timeLimit(.minutes(1))) func aServerThatStallsAfterItsHeadIsGivenUpOn() async throws {
        let server = try StallingServer()
        defer { server.close() }
        // A client without a read timeout, as the broker's for upstreams is: only the whole-exchange deadline can
        // end this (without it the test runs into its time limit). The bound is loose: on a loaded machine the
        // deadline's timer may wake late.
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: nil)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let http = OAuthHTTP(client: client, timeout: .seconds(2))
        let started = ContinuousClock.now
        await #expect {
            _ = try await http.postForm("http://127.0.0.1:\(server.port)/token", [("grant_type", "refresh_token")])
        } throws: { ($0 as? OAuthFailure)?.kind == .unreachable }
        #expect(ContinuousClock.now - started < .seconds(45))
        try await client.shutdown()
    }
}

/// Accepts connections on 127.0.0.1, answers each with a head that promises a body, and never sends it.
final class StallingServer: @unchecked Sendable {
    // `@unchecked`: `fd` is set once; `held` is touched only by the accepting thread.
    let port: Int
    private let fd: Int32
    private var held: [Int32] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw CocoaError(.fileWriteUnknown) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                held.append(client)
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                _ = head.withCString { write(client, $0, strlen($0)) }
            }
        }
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }
}
