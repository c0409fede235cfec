import Synchronization

/// Open `subscriptions/listen` requests: what each asked for and where its notifications go.
///
/// A stdio server has its own. In HTTP mode every modern request is served by a short-lived
/// `Server`, and all of them share one registry, so a list change triggered by one request
/// reaches the listen streams opened by others.
final class ListenRegistry: Sendable {
    /// One open listen.
    struct Listen: Sendable {
        /// The listen request's id, which tags every notification sent on it.
        let id: RequestID
        /// The `notifications` filter the client sent.
        let filter: [String: JSON]
        /// Where the acknowledgement, the notifications and the closing result go.
        let sink: any MessageSink
    }

    private let listens = Mutex<[Listen]>([])

    /// Registers `listen`, replacing an open one with the same id on the same sink (a reused
    /// request id replaces, as keying by id always did on stdio).
    func open(_ listen: Listen) {
        listens.withLock { listens in
            listens.removeAll { $0.id == listen.id && $0.sink === listen.sink }
            listens.append(listen)
        }
    }

    /// Removes and returns the listens opened with `id`: a cancelled listen is answered once.
    func close(id: RequestID) -> [Listen] {
        listens.withLock { listens in
            let closing = listens.filter { $0.id == id }
            listens.removeAll { $0.id == id }
            return closing
        }
    }

    /// The listens whose filter sets `flag` to true, after forgetting those whose sink is gone
    /// (an HTTP listen ends when its client closes the connection).
    func subscribed(to flag: String) -> [Listen] {
        listens.withLock { listens in
            listens.removeAll { !$0.sink.isOpen }
            return listens.filter { $0.filter[flag]?.boolValue == true }
        }
    }
}
