import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The few HTTP exchanges OAuth needs, bounded: no redirects (a token request must not be carried elsewhere),
/// a deadline on the whole exchange, answers read up to 1 MiB.
public struct OAuthHTTP: Sendable {
    public struct Response: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: Data
    }

    let client: HTTPClient
    let timeout: TimeAmount

    /// `client` must not follow redirects.
    public init(client: HTTPClient, timeout: TimeAmount = .seconds(15)) {
        self.client = client
        self.timeout = timeout
    }

    /// An HTTP client configured as OAuth needs it; the caller shuts it down.
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(15))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func get(_ url: String, headers: [(String, String)] = []) async throws(OAuthFailure) -> Response {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        return try await send(request, to: url)
    }

    /// POSTs a form (`application/x-www-form-urlencoded`), optionally with HTTP Basic client authentication.
    public func postForm(
        _ url: String, _ parameters: [(String, String)], basic: (user: String, password: String)? = nil
    ) async throws(OAuthFailure) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        if let basic {
            // RFC 6749 §2.3.1: each part form-encoded before base64.
            let pair = OAuthURL.formEncode(basic.user) + ":" + OAuthURL.formEncode(basic.password)
            request.headers.add(name: "Authorization", value: "Basic " + Data(pair.utf8).base64EncodedString())
        }
        request.body = .bytes(ByteBuffer(string: OAuthURL.formBody(parameters)))
        return try await send(request, to: url)
    }

    public func postJSON(
        _ url: String, _ body: Data, headers: [(String, String)] = []
    ) async throws(OAuthFailure) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request, to: url)
    }

    /// The deadline covers the whole exchange, body included: the HTTP client's own ends with the response head,
    /// and a server that sends a head and then nothing must not hold a login, or every refresh of its grant, forever.
    /// The exchange is not waited for once the deadline passed (a task group would wait for its cancelled child):
    /// it is cancelled, and the client's read timeout ends its connection.
    private func send(_ request: HTTPClientRequest, to url: String) async throws(OAuthFailure) -> Response {
        let (client, timeout) = (client, timeout)
        do {
            let answer: Response? = try await Self.first(within: timeout) {
                let response = try await client.execute(request, deadline: .now() + timeout)
                let body = try await response.body.collect(upTo: 1 << 20)
                return Response(
                    status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
            }
            guard let answer else {
                throw OAuthFailure(
                    .unreachable,
                    "\(Self.origin(url)) did not answer within \(timeout.nanoseconds / 1_000_000_000) s",
                    remedy: "check that the server is up; it is tried again at the next request")
            }
            return answer
        } catch let failure as OAuthFailure {
            throw failure
        } catch {
            throw OAuthFailure(
                .unreachable, "cannot reach \(Self.origin(url)): \(Self.describe(error))",
                remedy: "check that the server is up and the URL is right")
        }
    }

    /// `work`'s result, or nil when `timeout` passed first; `work` is then cancelled and left to end on its own.
    static func first<T: Sendable>(
        within timeout: TimeAmount, _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let settled = Mutex(false)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
            let settle: @Sendable (Result<T?, any Error>) -> Bool = { result in
                guard
                    settled.withLock({ done in
                        defer { done = true }; return !done
                    })
                else { return false }
                continuation.resume(with: result)
                return true
            }
            let task = Task {
                do {
                    _ = settle(.success(try await work()))
                } catch {
                    _ = settle(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, timeout.nanoseconds)))
                if settle(.success(nil)) { task.cancel() }
            }
        }
    }

    /// The scheme, host and port of a URL: errors name where, never a query that may hold a code.
    static func origin(_ url: String) -> String {
        OAuthURL.split(url).map { $0.origin } ?? "the server"
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if error is ChannelError || "\(type(of: error))".contains("Connect") { return "the connection failed" }
        return String(describing: type(of: error))
    }
}
