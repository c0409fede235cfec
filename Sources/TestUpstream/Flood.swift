import Foundation

/// The `flood` tool: output as fast as the pipe takes it, to show that the broker and the gateway keep their
/// memory bounded when an upstream misbehaves.
enum Flood {
    static func run(_ kind: String, mebibytes: Int, progressToken: JSON?, reply: Reply) {
        let total = mebibytes << 20
        switch kind {
        case "progress":
            // About 1 KiB each, all for this call: a client that asked for progress and then stops reading its
            // response stream.
            guard let progressToken else {
                reply.toolText("flood kind progress needs a progressToken in _meta", isError: true)
                return
            }
            let filler = String(repeating: "p", count: 960)
            var n = 0
            while n << 10 < total {
                n += 1
                reply.output.send(
                    Message.notification(
                        "notifications/progress",
                        params: [
                            "progressToken": progressToken, "progress": .int(Int64(n)), "message": .string(filler),
                        ]))
            }
            reply.toolText("flooded \(n) progress notifications")
        case "notifications":
            // About 1 KiB each; clients that listen get them, the others never see them.
            let filler = String(repeating: "x", count: 960)
            var sent = 0
            var n = 0
            while sent < total {
                n += 1
                reply.output.send(
                    Message.notification(
                        "notifications/message",
                        params: ["level": "info", "logger": "flood", "data": .string("\(n) \(filler)")]))
                sent += 1024
            }
            reply.toolText("flooded \(n) notifications")
        case "stderr":
            let line = Data((String(repeating: "e", count: 1023) + "\n").utf8)
            let chunk = Data((0..<64).flatMap { _ in line })
            for _ in 0..<(total / chunk.count) { try? FileHandle.standardError.write(contentsOf: chunk) }
            reply.toolText("flooded stderr")
        case "line":
            // One line that never ends: the reader must give up on it (and on this process) rather than grow.
            let chunk = Data(repeating: UInt8(ascii: "z"), count: 1 << 16)
            for _ in 0..<(total / chunk.count) {
                do { try FileHandle.standardOutput.write(contentsOf: chunk) } catch { exit(4) }
            }
            exit(5)
        default:
            reply.toolText("flood kind must be notifications, progress, stderr or line", isError: true)
        }
    }
}
