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
            if answer { reply.toolText("slept \(milliseconds)") }
        }.start()
    }

    /// `subscriptions/listen`: acknowledge with the filter, then hold the request open until the
    /// client cancels it. The response is the stream's end, not its start.
    func openListen(params: [String: JSON], reply: Reply) throws(RPCError) {
        guard let filter = params["notifications"]?.objectValue else {
            throw .invalidParams("subscriptions/listen needs a notifications object")
        }
        state.withLock { $0.listens[reply.id] = filter }
        output.send(
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
        let (sleep, listen) = state.withLock { state in
            (state.sleeps.removeValue(forKey: id), state.listens.removeValue(forKey: id))
        }
        sleep?.signal()
        if listen != nil, let era = state.withLock({ $0.era }) {
            Reply(id: id, era: era, output: output).result(["_meta": [MCP.subscriptionIdKey: id.json]])
        }
    }

    /// `notifications/tools/list_changed`: unsolicited in the handshake era; in 2026-07-28 only
    /// on open listens that asked for it, each tagged with its listen id so stdio clients can
    /// tell the streams apart.
    func broadcastToolsListChanged() {
        let method = "notifications/tools/list_changed"
        let (era, listens) = state.withLock { ($0.era, $0.listens) }
        guard era == .modern else {
            output.send(Message.notification(method))
            return
        }
        for (id, filter) in listens where filter["toolsListChanged"]?.boolValue == true {
            output.send(Message.notification(method, params: ["_meta": [MCP.subscriptionIdKey: id.json]]))
        }
    }
}
