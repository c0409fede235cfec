import Glibc
import MCPWire

// sealgate-echo-upstream: the benchmarks' fast stdio MCP server (2025-era handshake, one `echo` tool).
//
// `sealgate-test-upstream` serves every test feature through Foundation's JSON and Swift tasks, about 190 µs per
// echo. Measured through it, a proxy's throughput is mostly the upstream's. This one reads with blocking `read`,
// answers every complete line in the chunk, and writes all answers in one `write`: what is left is the proxy.

let echoTool: JSONValue = .object([
    "name": "echo", "description": "Returns its text argument.",
    "inputSchema": .object([
        "type": "object", "properties": .object(["text": .object(["type": "string"])]),
        "required": .array(["text"]),
    ]),
])

func answer(_ line: ArraySlice<UInt8>) -> JSONRPCMessage? {
    let message: JSONRPCMessage
    do {
        message = try JSONRPCMessage.parse(line)
    } catch {
        return .error(id: nil, error)
    }
    guard case .request(let id, let method, let params) = message else { return nil }  // notifications, answers
    switch method {
    case "initialize":
        let asked = params?["protocolVersion"]?.stringValue ?? "2025-11-25"
        return .result(
            id: id,
            result: .object([
                "protocolVersion": .string(asked), "capabilities": .object(["tools": .object([:])]),
                "serverInfo": .object(["name": "sealgate-echo-upstream", "version": "1.0.0"]),
            ]))
    case "ping":
        return .result(id: id, result: .object([:]))
    case "tools/list":
        return .result(id: id, result: .object(["tools": .array([echoTool])]))
    case "tools/call":
        guard params?["name"] == "echo", let text = params?["arguments"]?["text"]?.stringValue else {
            return .error(
                id: id, JSONRPCError(code: JSONRPCError.invalidParams, message: "only echo, with a string text"))
        }
        return .result(
            id: id, result: .object(["content": .array([.object(["type": "text", "text": .string(text)])])]))
    default:
        return .error(id: id, JSONRPCError(code: JSONRPCError.methodNotFound, message: "Method not found"))
    }
}

signal(SIGPIPE, SIG_IGN)
var pending: [UInt8] = []
var chunk = [UInt8](repeating: 0, count: 1 << 16)
while true {
    let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
    if count < 0, errno == EINTR { continue }
    guard count > 0 else { exit(0) }  // end of stdin: the stdio shutdown signal
    pending += chunk[..<count]
    var output: [UInt8] = []
    var start = pending.startIndex
    while let newline = pending[start...].firstIndex(of: 0x0A) {
        if let reply = answer(pending[start..<newline]) { output += reply.serialized + [0x0A] }
        start = newline + 1
    }
    pending.removeFirst(start)
    var written = 0
    while written < output.count {
        let n = output[written...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { exit(1) }
        written += n
    }
}
