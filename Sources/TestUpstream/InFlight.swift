import Foundation

/// Requests that outlive their dispatch: cancellable sleeps and open listen subscriptions.
extension Server {
    /// Sleeps on a background thread so the read loop keeps serving (and can see the
    /// cancellation), then answers unless the request was cancelled meanwhile.
    func startSleep(milliseconds: Int, reply: Reply) {
        let wakeUp = DispatchSemaphore(value: 0)
        state.withLock { $0.sleeps[reply.id] = wakeUp }
        Thread { [self] in
            // A semaphore rather than Thread.sleep: cancellation wakes the thread at once.
            _ = wakeUp.wait(timeout: .now() + .milliseconds(milliseconds))
            // Still registered means not cancelled. The identity check keeps a reused request id
            // from claiming another call's entry.
            let answer = state.withLock { state in
                guard state.sleeps[reply.id] === wakeUp else { return false }
                state.sleeps[reply.id] = nil
                return true
            }
            if answer {
                reply.toolText("slept \(milliseconds)")
            } else {
                reply.output.abandon()
            }
        }.start()
    }

    /// `subscriptions/listen`: acknowledge with the filter, then hold the request open until the
    /// client cancels it. The response is the stream's end, not its start.
    func openListen(params: [String: JSON], reply: Reply) throws(RPCError) {
        guard let filter = params["notifications"]?.objectValue else {
            throw .invalidParams("subscriptions/listen needs a notifications object")
        }
        listens.open(ListenRegistry.Listen(id: reply.id, filter: filter, sink: reply.output))
        reply.output.send(
            Message.notification(
                "notifications/subscriptions/acknowledged",
                params: [
                    "_meta": [MCP.subscriptionIdKey: reply.id.json],
                    "notifications": .object(filter),
                ]))
    }

    /// `notifications/cancelled`: a cancelled sleep is never answered; a cancelled listen is
    /// closed with its result. Unknown or finished ids are ignored, as the spec allows for races.
    func cancel(_ id: RequestID) {
        let sleep = state.withLock { $0.sleeps.removeValue(forKey: id) }
        let closed = listens.close(id: id)
        sleep?.signal()
        guard let era = state.withLock({ $0.era }) else { return }
        for listen in closed {
            Reply(id: id, era: era, output: listen.sink).result(["_meta": [MCP.subscriptionIdKey: id.json]])
        }
    }

    /// `notifications/tools/list_changed`: unsolicited in the handshake era; in 2026-07-28 only
    /// on open listens that asked for it, each tagged with its listen id so stdio clients can
    /// tell the streams apart. Over HTTP, "unsolicited" means the session's GET or SSE stream.
    func broadcastToolsListChanged() {
        let method = "notifications/tools/list_changed"
        guard state.withLock({ $0.era }) == .modern else {
            output.send(Message.notification(method))
            return
        }
        for listen in listens.subscribed(to: "toolsListChanged") {
            listen.sink.send(Message.notification(method, params: ["_meta": [MCP.subscriptionIdKey: listen.id.json]]))
        }
    }
}
