import BrokerProtocol
import FuzzDriver
import MCPWire

// fuzz-frames: the broker socket's frame decoder and message decoding (scripts/fuzz fuzz-frames SECONDS); the
// gateway and the broker each read the other's frames with it. The first input byte chooses how the rest is cut
// into reads. Invariants: bad input is an error, never a crash; the frames and errors do not depend on how the
// bytes were cut; a length over the limit stops the stream; a frame that decodes to a message re-encodes to a frame
// that decodes to the same message; the lane read from a payload's bytes (`FrameLane`, for frames parsed off the
// loop) is the channel its parse names, or the control lane when the scan cannot tell; for a frame the encoder wrote,
// it is exactly the message's lane.

enum Outcome: Equatable {
    case frame(JSONObject)
    case malformed
    case tooLarge(Int)
}

/// Feeds `bytes` in reads of at most `step` bytes (all at once for 0), taking out every frame after each read.
func decode(_ bytes: ArraySlice<UInt8>, step: Int) -> [Outcome] {
    var decoder = FrameDecoder()
    var outcomes: [Outcome] = []
    var offset = bytes.startIndex
    repeat {
        let end = step == 0 ? bytes.endIndex : min(offset + step, bytes.endIndex)
        decoder.append(bytes[offset..<end])
        offset = end
        while true {
            let object: JSONObject?
            do {
                object = try decoder.nextFrame()
            } catch {
                switch error {
                case .malformedFrame:
                    outcomes.append(.malformed)
                    continue
                case .frameTooLarge(let length):
                    precondition(length > FrameDecoder.maximumFrameSize, "refused a frame within the limit")
                    outcomes.append(.tooLarge(length))
                    return outcomes  // framing is lost: the connection closes
                }
            }
            guard let object else { break }
            outcomes.append(.frame(object))
        }
    } while offset < bytes.endIndex
    return outcomes
}

func fuzzOne(_ input: UnsafeBufferPointer<UInt8>) {
    guard let first = input.first else { return }
    let bytes = Array(input)[1...]
    let whole = decode(bytes, step: 0)
    let cut = decode(bytes, step: Int(first % 17) + 1)
    precondition(whole == cut, "frames depend on how the bytes were cut")
    let scanned = FrameLane.of(bytes)
    if scanned != .control, let object = try? FrameDecoder.object(bytes) {
        // Ways to disagree, all of frames no encoder writes: a duplicated key (the scan reads the first, the parser
        // keeps the last), or a `channel` past the scan's reach after a `ref`.
        func occurrences(_ key: String) -> Int {
            let quoted = Array("\"\(key)\"".utf8)
            return bytes.indices.filter { bytes[$0...].starts(with: quoted) }.count
        }
        let explained = occurrences("channel") > 1 || occurrences("ref") > 1 || bytes.count > 4096
        precondition(explained || FrameLane.of(object) == scanned, "the scan read \(scanned) in \(object)")
    }
    for case .frame(let object) in whole {
        guard let message = try? BrokerMessage(object) else { continue }
        let frame = message.frame
        precondition(FrameLane.of(frame.dropFirst(4)) == message.lane, "the scan misread \(message)'s lane")
        var decoder = FrameDecoder()
        decoder.append(frame)
        guard let reread = try? decoder.nextFrame(), let again = try? BrokerMessage(reread) else {
            fatalError("a message's own frame does not decode: \(message)")
        }
        precondition(again == message, "a message changed through its frame: \(message) -> \(again)")
    }
}

runFuzzer(fuzzOne)
