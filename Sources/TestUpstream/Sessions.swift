import Synchronization

/// A 2025-era HTTP session: its own `Server` (era fixed to legacy, its own `initialize` state
/// and cancellable sleeps) and the outlet its unsolicited messages go to.
final class Session<Outlet: MessageSink>: Sendable {
    let id: String
    let outlet: Outlet
    let server: Server

    init(id: String, outlet: Outlet) {
        self.id = id
        self.outlet = outlet
        self.server = Server(mode: .legacy, output: outlet)
    }
}

/// The open sessions of one transport, by id.
final class SessionStore<Outlet: MessageSink>: Sendable {
    private let sessions = Mutex<[String: Session<Outlet>]>([:])

    /// Opens a session under a fresh random id.
    func create(outlet: Outlet) -> Session<Outlet> {
        let session = Session(id: Self.randomID(), outlet: outlet)
        sessions.withLock { $0[session.id] = session }
        return session
    }

    subscript(id: String) -> Session<Outlet>? {
        sessions.withLock { $0[id] }
    }

    /// Ends a session; nil if there was none.
    func remove(_ id: String) -> Session<Outlet>? {
        sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// 128 random bits as 32 lowercase hex digits, the shape mcp 1.x uses.
    private static func randomID() -> String {
        (0..<2).map { _ in
            let hex = String(UInt64.random(in: .min ... .max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// Where a Streamable HTTP session's unsolicited messages go: its GET stream while one is
/// open; dropped otherwise, as a server with nowhere to send them does.
final class StandaloneStream: MessageSink {
    private let current = Mutex<EventStream?>(nil)

    func send(_ message: JSON) {
        current.withLock { $0 }?.send(message)
    }

    /// Opens the GET stream; nil while an earlier one is still open (one per session).
    func open() -> EventStream? {
        current.withLock { current in
            if let open = current, open.isOpen { return nil }
            let stream = EventStream()
            current = stream
            return stream
        }
    }

    /// Ends the GET stream, if any: the session was deleted.
    func end() {
        current.withLock { current in
            defer { current = nil }
            return current
        }?.finish()
    }
}
