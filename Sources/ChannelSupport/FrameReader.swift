import BrokerProtocol
import MCPWire
import NIOCore

/// Reads broker frames on a channel's event loop: cuts the bytes into frames, parses a small one in place and a
/// large one (`HeavyWork.bytes` or more) on the thread pool, and hands each parsed object on in its lane's order
/// (`FrameLane`): a large frame holds back the frames of its own lane only.
///
/// At most `maximumParsing` large frames are parsed at once per connection; past that the channel stops reading
/// until one is done, so a peer sending large frames faster than they parse fills its socket, not this process's
/// memory or the pool's queue. Loop-bound, like the handler that owns it.
public final class FrameReader {
    public static let maximumParsing = 8

    private var decoder = FrameDecoder()
    private var order = LaneQueue<FrameLane, JSONObject>()
    private var parsing = 0

    public init() {}

    /// Feeds bytes read from `context`'s channel. `deliver` gets each frame's object, in lane order; `malformed` the
    /// reason of each frame that is not a JSON object (later frames still read). Throws only `frameTooLarge`, after
    /// which framing is lost.
    public func read(
        _ bytes: ByteBuffer, context: ChannelHandlerContext, deliver: @escaping (JSONObject) -> Void,
        malformed: @escaping (String) -> Void
    ) throws(FrameDecoder.Failure) {
        decoder.append(bytes.readableBytesView)
        while true {
            do throws(FrameDecoder.Failure) {
                if let length = decoder.nextFrameLength, length >= HeavyWork.bytes,
                    let payload = try decoder.nextPayload()
                {
                    parseOffLoop(payload, context: context, deliver: deliver, malformed: malformed)
                    continue
                }
                guard let object = try decoder.nextFrame() else { return }
                if let ready = order.arrive(object, lane: order.isHolding ? FrameLane.of(object) : .control) {
                    deliver(ready)
                }
            } catch .malformedFrame(let reason) {
                malformed(reason)
            }
        }
    }

    private func parseOffLoop(
        _ payload: [UInt8], context: ChannelHandlerContext, deliver: @escaping (JSONObject) -> Void,
        malformed: @escaping (String) -> Void
    ) {
        let ticket = order.hold(lane: FrameLane.of(payload))
        parsing += 1
        if parsing == Self.maximumParsing { try? context.channel.syncOptions?.setOption(.autoRead, value: false) }
        let bound = NIOLoopBound((self, context, deliver, malformed), eventLoop: context.eventLoop)
        HeavyWork.run(on: context.eventLoop) { () -> Result<JSONObject, FrameDecoder.Failure> in
            Result { () throws(FrameDecoder.Failure) in try FrameDecoder.object(payload) }
        }.whenComplete { outcome in
            let (reader, context, deliver, malformed) = bound.value
            var object: JSONObject?
            switch outcome {
            case .success(.success(let parsed)): object = parsed
            case .success(.failure(.malformedFrame(let reason))): malformed(reason)
            case .success(.failure(.frameTooLarge)), .failure: malformed("the process is stopping")  // the pool stopped
            }
            for ready in reader.order.finish(ticket, with: object) { deliver(ready) }
            reader.parsing -= 1
            if reader.parsing == Self.maximumParsing - 1 {
                try? context.channel.syncOptions?.setOption(.autoRead, value: true)  // fails only once closed
            }
        }
    }
}
