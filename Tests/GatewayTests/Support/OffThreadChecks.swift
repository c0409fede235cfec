import Foundation
import TestSupport
import Testing

/// Expectations for a test whose body blocks (processes, sockets, token lifetimes) and so runs on a thread of its
/// own (`onItsOwnThread`), where an issue cannot be recorded: they are collected there and recorded in the test's
/// task once the body is done, each at the line that made it.
final class OffThreadChecks: @unchecked Sendable {
    // Guarded by `lock`.
    private var failures: [(comment: String, location: SourceLocation)] = []
    private let lock = NSLock()

    /// Runs `body` on its own thread, then records what it found wanting; a thrown error is the test's.
    static func run(_ body: @escaping @Sendable (OffThreadChecks) throws -> Void) async throws {
        let checks = OffThreadChecks()
        let outcome = try await onItsOwnThread { Result { try body(checks) } }
        for failure in checks.lock.withLock({ checks.failures }) {
            Issue.record(Comment(rawValue: failure.comment), sourceLocation: failure.location)
        }
        try outcome.get()
    }

    func expect(
        _ condition: Bool, _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard !condition else { return }
        let text = comment()
        lock.withLock { failures.append(("Expectation failed" + (text.isEmpty ? "" : ": " + text), sourceLocation)) }
    }

    /// The value, or a thrown error (ending the body) when it is nil.
    func require<T>(
        _ value: T?, _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> T {
        guard let value else {
            throw HarnessError(
                "required value was nil at \(sourceLocation.fileName):\(sourceLocation.line) \(comment())")
        }
        return value
    }
}
