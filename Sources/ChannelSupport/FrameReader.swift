import BrokerProtocol
import MCPWire
import NIOCore

/// Reads broker frames on a channel's event loop: cuts the bytes into frames, parses a small one in place and a
/// large one (`HeavyWork.bytes` or more) on the thread pool, and hands each parsed object on in its lane's order
/// (`FrameLane`): a large frame holds back the frames of its own lane only.
///
/// Past `maximumBytesParsing` of large frames being parsed at once, the channel stops reading until one is done, so
/// a peer sending large frames faster than they parse fills its socket, not this process's memory or the pool's
/// queue. (Stopping the reading holds up the connection's small frames too: the gateway caps each workspace's large
/// bodies in flight at a quarter of this, `LargeBodies`.) Loop-bound, like the handler that owns it.
public final class FrameReader {
    public static let maximumBytesParsing = 64 << 20

    private var decoder = FrameDecoder()
    private var order = LaneQueue<FrameLane, JSONObject>()
    private var bytesParsing = 0

    public init() {}

    /// Feeds bytes read from `context`'s channel. `deliver` gets each frame's object, in lane order; `malformed` the
    /// reason of each frame that is not a JSON object (later frames still read). Throws only `frameTooLarge`, after
    /// which framing is lost.
    public func read(
        _ bytes: ByteBuffer, context: ChannelHandlerContext, deliver: @escaping (JSONObject) -> Void,
        malformed: @escaping (String) -> Void
    ) throws(FrameDecoder.Failure) {
        decoder.append(bytes.readableBytesView)
        while context.channel.isActive {  // a frame that closed the channel ends the reading
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
        bytesParsing += payload.count
        if bytesParsing > Self.maximumBytesParsing {
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)  // fails only once closed
        }
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
            for ready in reader.order.finish(ticket, with: object) where context.channel.isActive { deliver(ready) }
            let wasOver = reader.bytesParsing > Self.maximumBytesParsing
            reader.bytesParsing -= payload.count
            if wasOver, reader.bytesParsing <= Self.maximumBytesParsing {
                try? context.channel.syncOptions?.setOption(.autoRead, value: true)  // fails only once closed
            }
        }
    }
}
