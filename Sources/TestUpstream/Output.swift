import Foundation
import Synchronization

/// Writes JSON-RPC messages to stdout, one per line.
///
/// Both the main read loop and `sleep` threads answer requests, so every message goes out in a
/// single `write` under a lock: lines never interleave. `FileHandle` writes straight to the file
/// descriptor with no user-space buffer, so each message is flushed as soon as it is written.
final class Output: MessageSink {
    private let lock = Mutex(())
    private let handle = FileHandle.standardOutput

    /// Sends one message followed by the newline that frames it.
    func send(_ message: JSON) {
        var line = message.serialized()
        line.append(0x0A)
        lock.withLock { _ in
            // A closed stdout means the client is gone; the stdin EOF that follows ends the process.
            try? handle.write(contentsOf: line)
        }
    }
}

/// Diagnostics go to stderr: stdout belongs to the protocol.
func logStderr(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
}
