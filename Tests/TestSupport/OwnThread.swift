import Foundation

/// Runs blocking work (sockets read with `poll`, `sleep`) on a thread of its own and waits for it without holding a
/// thread: a test that blocks for tens of seconds on one of the few threads that run every test's tasks (two on a
/// two-core machine) stalls the other tests running beside it past their time limits.
public func onItsOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try work() }) }.start()
    }
}
