import Hummingbird

/// One request's context: the signed-in session, once `SessionGuard` has found it.
struct DashboardContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var session: DashboardSessions.Session?

    /// Forms are small; a larger body is refused before it is read.
    var maxUploadSize: Int { DashboardServer.maximumBodySize }

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
