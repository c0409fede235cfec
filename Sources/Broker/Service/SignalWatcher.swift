import CLinuxCalls
import Dispatch
import Glibc

/// Signals as an async sequence, for one watcher at a time in a process. While it lives, the watched signals are
/// caught by a handler that writes them to a pipe (`sealgate_signal_pipe`), and a Dispatch read source turns what
/// arrives there into the sequence.
///
/// Not a Dispatch signal source with the signal ignored meanwhile: on Linux that lost signals (a broker that never
/// saw its SIGTERM; `SignalWatcherTests` lost the first of 200 in two runs of three). A handler runs on whichever
/// thread the kernel picks for the signal.
///
/// `@unchecked Sendable`: `source` and `numbers` are written only in `init` and read only in `deinit`; `signals` is
/// Sendable.
public final class SignalWatcher: @unchecked Sendable {
    public let signals: AsyncStream<Int32>
    private let numbers: [Int32]
    private let source: (any DispatchSourceRead)?

    public init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        signals = stream
        self.numbers = numbers
        let fd = sealgate_signal_pipe()
        guard fd >= 0 else {
            // No pipe (out of descriptors): the signals keep their default action, which ends the process.
            source = nil
            return
        }
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: .global())
        source.setEventHandler {
            var bytes = [UInt8](repeating: 0, count: 64)
            while true {
                let n = read(fd, &bytes, bytes.count)
                guard n > 0 else { return }  // EAGAIN: read all there was
                for byte in bytes[0..<n] { continuation.yield(Int32(byte)) }
            }
        }
        source.resume()
        self.source = source
        for number in numbers { sealgate_catch_signal(number) }
    }

    deinit {
        guard let source else { return }
        for number in numbers { sealgate_default_signal(number) }
        source.cancel()
    }
}
