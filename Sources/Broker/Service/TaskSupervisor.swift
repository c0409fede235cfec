/// Runs the broker's long-lived child work (upstream processes, sweepers) inside one task group, so that every
/// task is owned, cancelled on shutdown and awaited: no fire-and-forget `Task {}`.
final class TaskSupervisor: Sendable {
    private let jobs: AsyncStream<@Sendable () async -> Void>
    private let submit: AsyncStream<@Sendable () async -> Void>.Continuation

    init() {
        (jobs, submit) = AsyncStream.makeStream()
    }

    /// Starts `job` as a child of `run()`. Work submitted after shutdown is dropped.
    func spawn(_ job: @escaping @Sendable () async -> Void) {
        submit.yield(job)
    }

    /// Owns the children until cancelled (which cancels them all) and returns once every one has ended.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask { await job() }
            }
        }
    }
}
