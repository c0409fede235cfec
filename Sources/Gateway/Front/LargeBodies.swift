import ChannelSupport
import Synchronization

/// The bytes of large request bodies (`HeavyWork.bytes` and up) that each workspace has in flight, capped.
///
/// A large body is parsed on the thread pool, and so are the frames it becomes at the broker, which stops reading the
/// gateway's one connection while too many are being parsed (`FrameReader`): without a cap per workspace, one
/// workspace sending many large calls at once would hold up every other workspace's small ones behind them.
final class LargeBodies: Sendable {
    /// Four maximal bodies at once per workspace; the broker reads on past 64 MiB in flight, four workspaces' worth.
    static let maximumBytesPerWorkspace = 16 << 20

    private let inFlight = Mutex<[String: Int]>([:])

    /// A body let in: released once its request has been answered.
    final class Admission: Sendable {
        private let release: Mutex<(@Sendable () -> Void)?>

        init(_ release: @escaping @Sendable () -> Void) {
            self.release = Mutex(release)
        }

        /// Gives the bytes back (once, however often called).
        func end() {
            release.withLock { action in
                defer { action = nil }
                return action
            }?()
        }
    }

    /// Lets in a body of `bytes` for `workspace` (a small one always, and a large one when the workspace has nothing
    /// large in flight), or nil when its large bodies in flight would pass the cap.
    func admit(_ bytes: Int, workspace: String) -> Admission? {
        guard bytes >= HeavyWork.bytes else { return Admission {} }
        let admitted = inFlight.withLock { inFlight in
            let current = inFlight[workspace, default: 0]
            guard current == 0 || current + bytes <= Self.maximumBytesPerWorkspace else { return false }
            inFlight[workspace] = current + bytes
            return true
        }
        guard admitted else { return nil }
        return Admission { [self] in
            inFlight.withLock { inFlight in
                let left = inFlight[workspace, default: 0] - bytes
                inFlight[workspace] = left > 0 ? left : nil
            }
        }
    }
}
