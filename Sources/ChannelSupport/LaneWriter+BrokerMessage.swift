import BrokerProtocol
import NIOCore

extension LaneWriter<FrameLane> {
    /// Writes a broker frame in its channel's lane; a heavy MCP payload is serialized off the loop.
    public func write(_ message: BrokerMessage) {
        write(lane: message.lane, heavy: message.outweighs(HeavyWork.weight)) { ByteBuffer(bytes: message.frame) }
    }
}
