import Logging
import MCPWire
import Synchronization

/// What one request's log line says beyond its HTTP head, filled in as the request is understood. Names only:
/// never a body, an argument, a token or a secret.
final class RequestNote {
    var caller: String?
    var rpcMethod: String?
    var tool: String?

    /// Notes the JSON-RPC method and, for a call or get, the name asked for. Both come from the client, so only
    /// names of the shape MCP names have are kept; anything else is logged as `(invalid)`.
    func describe(_ message: JSONRPCMessage) {
        guard let method = message.method else { return }
        rpcMethod = Self.loggable(method)
        if method == "tools/call" || method == "prompts/get", case .request(_, _, let params) = message {
            tool = params?["name"]?.stringValue.map(Self.loggable)
        }
    }

    private static func loggable(_ name: String) -> String {
        let allowed =
            name.utf8.count <= 128
            && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")
                    || byte == UInt8(ascii: ".")
            }
        return allowed && !name.isEmpty ? name : "(invalid)"
    }
}

/// One line per HTTP request at `info`, with a request id unique within the gateway process.
struct RequestLog: Sendable {
    let logger: Logger
    /// Tells apart the ids of two gateway processes (a restarted one counts from 1 again).
    private let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private let counter = Counter()

    init(logger: Logger) {
        self.logger = logger
    }

    var isEnabled: Bool { logger.logLevel <= .info }

    func write(_ request: HTTPRequest, _ answer: HTTPAnswer, _ note: RequestNote, elapsed: Duration) {
        let status: String
        switch answer {
        case .full: status = "\(answer.statusCode)"
        case .stream: status = "200 stream"
        }
        var metadata: Logger.Metadata = [
            "request": "\(prefix)-\(counter.next())", "http": "\(request.head.method.rawValue) \(request.path)",
            "status": "\(status)",
            "ms": "\((elapsed / .milliseconds(1) * 100).rounded() / 100)",
            "peer": "\(request.peer)",
        ]
        if let caller = note.caller { metadata["caller"] = "\(caller)" }
        if let method = note.rpcMethod { metadata["rpc"] = "\(method)" }
        if let tool = note.tool { metadata["name"] = "\(tool)" }
        logger.info("request", metadata: metadata)
    }
}

private final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
}
