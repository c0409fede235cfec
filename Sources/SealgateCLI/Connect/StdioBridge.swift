import AsyncHTTPClient
import Foundation
import MCPWire
import NIOCore
import NIOHTTP1
import Synchronization

/// Relays newline-delimited JSON-RPC between stdin/stdout and a Streamable HTTP endpoint, in whichever era the
/// client speaks: a 2026-07-28 message gets its mirrored headers, a 2025-era session its `Mcp-Session-Id` and a GET
/// stream for server-initiated messages. Answers (JSON or event streams) are written to stdout, one per line.
struct StdioBridge: Sendable {
    let endpoint: String
    let token: String
    /// Tells the user on stderr what to fix when the gateway refuses the bridge or cannot be reached.
    let advice: BridgeAdvice

    /// What the bridge learned from the gateway: the 2025-era session and its stream.
    private final class Session: Sendable {
        let id = Mutex<String?>(nil)
        let version = Mutex<String?>(nil)
        let stream = Mutex<Task<Void, Never>?>(nil)
    }

    func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let session = Session()
        await withTaskGroup(of: Void.self) { group in
            for await line in Self.standardInputLines() where !line.allSatisfy(\.isWhitespace) {
                do throws(JSONRPCError) {
                    let message = try JSONRPCMessage.parse(Array(line.utf8))
                    // The handshake and notifications keep their order (the session id comes from `initialize`);
                    // requests run side by side.
                    if case .request(_, let method, _) = message, method != "initialize" {
                        group.addTask { await relay(message, client: client, session: session) }
                    } else {
                        await relay(message, client: client, session: session)
                    }
                } catch {
                    StandardOutput.write(.error(id: nil, error))
                }
            }
            await group.waitForAll()
        }
        session.stream.withLock { $0 }?.cancel()
        if let id = session.id.withLock({ $0 }) {
            var request = request(method: .DELETE)
            request.headers.add(name: "Mcp-Session-Id", value: id)
            _ = try? await client.execute(request, timeout: .seconds(5))  // best effort: the session expires anyway
        }
        try await client.shutdown()
    }

    private func request(method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        return request
    }

    /// POSTs one message and writes whatever answers it.
    private func relay(_ message: JSONRPCMessage, client: HTTPClient, session: Session) async {
        var request = request(method: .POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        let params: JSONValue?
        switch message {
        case .request(_, _, let p), .notification(_, let p): params = p
        default: params = nil
        }
        if let version = params?["_meta"]?["io.modelcontextprotocol/protocolVersion"]?.stringValue,
            let method = message.method
        {
            request.headers.add(name: "MCP-Protocol-Version", value: version)
            request.headers.add(name: "Mcp-Method", value: method)
            if let name = params?["name"]?.stringValue ?? params?["uri"]?.stringValue,
                ["tools/call", "prompts/get", "resources/read"].contains(method)
            {
                request.headers.add(name: "Mcp-Name", value: Self.headerValue(name))
            }
        } else {
            if let id = session.id.withLock({ $0 }) { request.headers.add(name: "Mcp-Session-Id", value: id) }
            if let version = session.version.withLock({ $0 }) {
                request.headers.add(name: "MCP-Protocol-Version", value: version)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: message.serialized))
        let requestID: RequestID? = if case .request(let id, _, _) = message { id } else { nil }
        do {
            let response = try await client.execute(request, timeout: .hours(24))
            if message.method == "initialize", let id = response.headers.first(name: "Mcp-Session-Id") {
                session.id.withLock { $0 = id }
            }
            let answered = try await write(response, emit: requestID != nil)
            if message.method == "initialize", let version = answered?["result"]?["protocolVersion"]?.stringValue {
                session.version.withLock { $0 = version }
            }
            if message.method == "notifications/initialized" { openStream(client: client, session: session) }
            if answered == nil { advice.tell(status: response.status.code) }
            if let requestID, answered == nil {
                StandardOutput.write(
                    .error(
                        id: requestID,
                        JSONRPCError(
                            code: JSONRPCError.internalError,
                            message: advice.advice(forStatus: response.status.code)
                                ?? "the gateway answered HTTP \(response.status.code) without a response")))
            }
        } catch {
            advice.tellUnreachable(error)
            if let requestID {
                StandardOutput.write(
                    .error(
                        id: requestID,
                        JSONRPCError(
                            code: JSONRPCError.internalError, message: "cannot reach \(advice.endpoint): \(error)")))
            }
        }
    }

    /// The 2025-era GET stream: list changes and other server-initiated messages, for the session's life.
    private func openStream(client: HTTPClient, session: Session) {
        guard let id = session.id.withLock({ $0 }) else { return }
        var request = request(method: .GET)
        request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Mcp-Session-Id", value: id)
        if let version = session.version.withLock({ $0 }) {
            request.headers.add(name: "MCP-Protocol-Version", value: version)
        }
        let task = Task {
            // Without the stream, requests still work; only server-initiated messages are missed.
            guard let response = try? await client.execute(request, timeout: .hours(24)) else { return }
            _ = try? await write(response)
        }
        session.stream.withLock { $0 = task }
    }

    /// Writes a response's JSON body or each of its events; returns the last message written (nil for none).
    @discardableResult
    private func write(_ response: HTTPClientResponse, emit: Bool = true) async throws -> JSONValue? {
        var last: JSONValue?
        if response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true {
            var pending: [UInt8] = []
            var data: [UInt8] = []
            for try await chunk in response.body {
                pending += chunk.readableBytesView
                while let newline = pending.firstIndex(of: 0x0A) {
                    var line = Array(pending[..<newline])
                    pending.removeFirst(newline + 1)
                    if line.last == 0x0D { line.removeLast() }
                    if line.starts(with: Array("data:".utf8)) {
                        data += line.dropFirst(line.count > 5 && line[5] == 0x20 ? 6 : 5)
                    } else if line.isEmpty, !data.isEmpty {
                        if emit, let value = try? JSONParser.parse(data) {  // not JSON: not a message, skipped
                            StandardOutput.write(value)
                            last = value
                        }
                        data = []
                    }
                }
            }
            return last
        }
        let body = try await response.body.collect(upTo: 64 << 20)
        // An empty body (202) or one that is not JSON answers nothing.
        guard body.readableBytes > 0, let value = try? JSONParser.parse(body.readableBytesView) else { return nil }
        if emit, value["jsonrpc"] != nil {
            StandardOutput.write(value)
            return value
        }
        return nil  // a non-JSON-RPC body (a 401's description): the caller reports the status
    }

    /// `Mcp-Name` values outside visible ASCII go base64-encoded between `=?base64?` and `?=`.
    static func headerValue(_ name: String) -> String {
        let plain = name.utf8.allSatisfy { (0x21...0x7E).contains($0) } && !name.hasPrefix("=?")
        return plain ? name : "=?base64?" + Data(name.utf8).base64EncodedString() + "?="
    }

    /// Lines of standard input, read on a thread of their own (a blocking read must not hold a task thread).
    static func standardInputLines() -> AsyncStream<String> {
        let (lines, sink) = AsyncStream<String>.makeStream()
        Thread.detachNewThread {
            while let line = readLine(strippingNewline: true) { sink.yield(line) }
            sink.finish()
        }
        return lines
    }
}

/// Messages to stdout, one per line, never interleaved.
enum StandardOutput {
    private static let lock = Mutex(())

    static func write(_ value: JSONValue) {
        let bytes = value.serialized + [0x0A]
        lock.withLock { _ in FileHandle.standardOutput.write(Data(bytes)) }
    }

    static func write(_ message: JSONRPCMessage) {
        write(message.json)
    }
}
