import FuzzDriver
import Gateway
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1

// fuzz-http: the gateway's HTTP front door, from the socket's bytes to the request an endpoint sees (scripts/fuzz
// fuzz-http SECONDS): NIO's request decoder and the gateway's exchange handler, the very pipeline `HTTPServer` sets
// up, in an `EmbeddedChannel`, answering each request at once. The first input byte chooses how the rest is cut
// into reads. Invariants: no crash; no body over the limit reaches an endpoint; what the gateway writes back is HTTP
// responses; the requests and the bytes written do not depend on how the input was cut.

let maximumBodySize = 512  // small, so that inputs reach the limit

/// What one run saw. `@unchecked Sendable`: the embedded channel runs everything on the fuzzer's one thread.
final class Transcript: @unchecked Sendable {
    var requests: [String] = []
}

func serve(_ bytes: ArraySlice<UInt8>, step: Int) -> (requests: [String], written: [UInt8]) {
    let transcript = Transcript()
    let channel = EmbeddedChannel()
    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    do {
        try HTTPServer.addHandlers(
            to: channel.pipeline.syncOperations,
            respond: { request in
                precondition(request.body.readableBytes <= maximumBodySize, "a body over the limit was delivered")
                // What endpoints read of a request: each accessor must cope with any header and URI.
                let seen = [
                    "\(request.method) \(request.path) q=\(request.query("q") ?? "-")",
                    "token=\(request.bearerToken ?? "-") json=\(request.accepts("application/json"))",
                    "session=\(request.header("Mcp-Session-Id") ?? "-") body=\(request.body.readableBytes)",
                ]
                transcript.requests.append(seen.joined(separator: " "))
                // An answer that repeats a request header, as session ids are: the encoder must refuse what cannot
                // be sent rather than write it.
                var headers = HTTPHeaders()
                if let echo = request.header("X-Echo") { headers.add(name: "X-Echo", value: echo) }
                return .full(.ok, headers, Array(request.body.readableBytesView))
            }, peer: "fuzz", maximumBodySize: maximumBodySize, logger: logger)
    } catch {
        fatalError("cannot set up the pipeline: \(error)")
    }
    var written: [UInt8] = []
    var offset = bytes.startIndex
    repeat {
        let end = step == 0 ? bytes.endIndex : min(offset + step, bytes.endIndex)
        do {
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
        } catch {
            break  // closed after a bad request
        }
        offset = end
        channel.embeddedEventLoop.run()  // what the channel scheduled: a close, a write's completion
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) { written += buffer.readableBytesView }
    } while offset < bytes.endIndex
    channel.embeddedEventLoop.run()
    _ = try? channel.finish()
    // The handler's timers (head, idle, the linger after a refusal) fire on a real loop; here time stands still
    // unless moved, and a timer still pending would keep the channel alive past the run.
    channel.embeddedEventLoop.advanceTime(by: .hours(1))
    return (transcript.requests, written)
}

func fuzzOne(_ input: UnsafeBufferPointer<UInt8>) {
    guard let first = input.first else { return }
    let bytes = Array(input)[1...]
    let whole = serve(bytes, step: 0)
    let cut = serve(bytes, step: Int(first % 13) + 1)
    precondition(whole.requests == cut.requests, "requests depend on how the bytes were cut")
    precondition(whole.written == cut.written, "answers depend on how the bytes were cut")
    precondition(whole.written.isEmpty || whole.written.starts(with: "HTTP/1.".utf8), "wrote something not HTTP")
}

runFuzzer(fuzzOne)
