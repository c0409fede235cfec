import Foundation

/// The tools, each built to exercise one gateway behaviour: forwarding (`echo`), secret
/// injection (`env_hash`, `env_names`), masking of leaked secrets in results, errors and stderr
/// (`leak_*`), cancellation (`sleep`), restarts (`crash`, `pid`), list_changed fan-out
/// (`emit_list_changed`), progress forwarding (`progress`), log relaying and masking (`log`),
/// resource subscriptions (`touch_resource`), roots asked at once, withdrawn and changed
/// (`initial_roots`, `ask_and_withdraw`, `roots_changes`), declared client capabilities
/// (`client_capabilities`), input_required round trips (`confirm`) and bounded memory under
/// floods (`flood`). Over HTTP, two more read the carrying request's headers (see
/// HeaderTools.swift); two more play a hostile upstream (HostileTools.swift).
enum Tools {
    /// `tools/list` on stdio, in a fixed order (the 2026-07-28 spec asks for a deterministic one).
    static let definitions: JSON = .array([
        tool("echo", "Returns its text argument.", stringArgument: "text"),
        tool("env_hash", "SHA-256 (hex) of an environment variable's value, or \"unset\".", stringArgument: "name"),
        tool("leak_env", "Returns an environment variable's raw value.", stringArgument: "name"),
        tool(
            "leak_env_error", "Fails with a JSON-RPC error that contains an environment variable's value.",
            stringArgument: "name"),
        tool("leak_stderr", "Writes an environment variable's value to stderr.", stringArgument: "name"),
        tool("env_names", "Sorted names of all environment variables, one per line."),
        [
            "name": "sleep",
            "description": "Sleeps for ms milliseconds; cancellable.",
            "inputSchema": [
                "type": "object",
                "properties": ["ms": ["type": "integer", "minimum": 0]],
                "required": ["ms"],
            ],
        ],
        tool("crash", "Exits with status 3 without answering."),
        tool("emit_list_changed", "Sends notifications/tools/list_changed before answering."),
        tool("pid", "The server's process id."),
        tool("progress", "Sends two progress notifications when given a progressToken."),
        tool("roots_changes", "How many notifications/roots/list_changed the client sent."),
        tool("ask_and_withdraw", "Asks the client for its roots, then withdraws the request at once."),
        tool(
            "initial_roots",
            "The client's answer to the roots/list sent as soon as it initialized (if it declared roots)."),
        tool("client_capabilities", "The capabilities the client declared in initialize, as JSON."),
        [
            "name": "confirm",
            "description":
                "2026-07-28 only: asks the client to confirm through input_required (elicitation), rounds times (1 by default), then answers with its answer.",
            "inputSchema": ["type": "object", "properties": ["rounds": ["type": "integer", "minimum": 1]]],
        ],
        tool(
            "touch_resource", "Sends notifications/resources/updated for uri if the client subscribed to it.",
            stringArgument: "uri"),
        [
            "name": "log",
            "description":
                "Sends notifications/message at level with data \"value of NAME: VALUE\" (an environment variable's value), then answers.",
            "inputSchema": [
                "type": "object",
                "properties": ["level": ["type": "string"], "name": ["type": "string"]],
                "required": ["level", "name"],
            ],
        ],
        [
            "name": "flood",
            "description":
                "Writes mb MiB as fast as it can: kind notifications (notifications/message), progress (notifications/progress for the call's progressToken), stderr (lines) or line (stdout without a newline, never answering).",
            "inputSchema": [
                "type": "object",
                "properties": [
                    "kind": ["type": "string", "enum": ["notifications", "progress", "stderr", "line"]],
                    "mb": ["type": "integer", "minimum": 1],
                ],
                "required": ["kind", "mb"],
            ],
        ],
    ])

    static func tool(_ name: String, _ description: String, stringArgument: String? = nil) -> JSON {
        var schema: JSON = ["type": "object", "properties": [:]]
        if let stringArgument {
            schema = [
                "type": "object",
                "properties": [.init(stringLiteral: stringArgument): ["type": "string"]],
                "required": [.string(stringArgument)],
            ]
        }
        return ["name": .string(name), "description": .string(description), "inputSchema": schema]
    }

    /// An environment variable's value; `"unset"` stands in for a missing one so every tool
    /// answers with something a test can compare.
    private static func environmentValue(_ name: String) -> String {
        ProcessInfo.processInfo.environment[name] ?? "unset"
    }

    /// `tools/call`. Answers through `reply`, possibly later (for `sleep`) or never (`crash`).
    /// Bad or unknown tools are tool errors (`isError: true`), not JSON-RPC errors, as MCP asks.
    static func call(_ params: [String: JSON], meta: [String: JSON], reply: Reply, server: Server) throws(RPCError) {
        guard let name = params["name"]?.stringValue else { throw .invalidParams("tools/call needs a string name") }
        let arguments = params["arguments"]?.objectValue ?? [:]

        /// The string argument `key`, or nil after answering with a tool error.
        func stringArgument(_ key: String) -> String? {
            guard let value = arguments[key]?.stringValue else {
                reply.toolText("\(name) needs the string argument \(key)", isError: true)
                return nil
            }
            return value
        }

        switch name {
        case "echo":
            guard let text = stringArgument("text") else { return }
            reply.toolText(text)

        case "env_hash":
            guard let variable = stringArgument("name") else { return }
            let value = ProcessInfo.processInfo.environment[variable]
            reply.toolText(value.map(SHA256.hexDigest(of:)) ?? "unset")

        case "leak_env":
            guard let variable = stringArgument("name") else { return }
            reply.toolText(environmentValue(variable))

        case "leak_env_error":
            guard let variable = stringArgument("name") else { return }
            let value = environmentValue(variable)
            // Code 1 on purpose: outside every reserved range, like the odd codes real servers send.
            reply.error(RPCError(code: 1, message: "failed with token \(value)", data: ["value": .string(value)]))

        case "leak_stderr":
            guard let variable = stringArgument("name") else { return }
            logStderr("leaking \(environmentValue(variable))\n")
            reply.toolText("ok")

        case "env_names":
            reply.toolText(ProcessInfo.processInfo.environment.keys.sorted().joined(separator: "\n"))

        case "sleep":
            guard let ms = arguments["ms"]?.intValue, ms >= 0, ms <= Int64(Int32.max) else {
                reply.toolText("sleep needs a non-negative integer ms", isError: true)
                return
            }
            server.startSleep(milliseconds: Int(ms), reply: reply)

        case "crash":
            logStderr("crashing\n")
            exit(3)

        case "emit_list_changed":
            // Before the result, so a test can check the notification is not lost behind it.
            server.broadcastToolsListChanged()
            reply.toolText("emitted")

        case "pid":
            reply.toolText(String(getpid()))

        case "flood":
            guard let kind = stringArgument("kind") else { return }
            guard let mebibytes = arguments["mb"]?.intValue, mebibytes >= 1, mebibytes <= 4096 else {
                reply.toolText("flood needs an integer mb from 1 to 4096", isError: true)
                return
            }
            Flood.run(kind, mebibytes: Int(mebibytes), progressToken: meta["progressToken"], reply: reply)

        case "log":
            guard let level = stringArgument("level"), let variable = stringArgument("name") else { return }
            // Before the result, as a server logs while it works.
            reply.output.send(
                Message.notification(
                    "notifications/message",
                    params: [
                        "level": .string(level), "logger": "tools",
                        "data": .string("value of \(variable): \(environmentValue(variable))"),
                    ]))
            reply.toolText("logged")

        case "confirm":
            confirm(params, meta: meta, reply: reply)

        case "client_capabilities":
            reply.toolText(
                String(decoding: server.state.withLock { $0.clientCapabilities }.serialized(), as: UTF8.self))

        case "ask_and_withdraw":
            let id: JSON = "test-upstream-withdrawn"
            reply.output.send(JSON.object(["jsonrpc": "2.0", "id": id, "method": "roots/list"]))
            reply.output.send(Message.notification("notifications/cancelled", params: ["requestId": id]))
            reply.toolText("asked and withdrew")

        case "initial_roots":
            reply.toolText(server.state.withLock { $0.initialRoots } ?? "no answer")

        case "roots_changes":
            reply.toolText(String(server.state.withLock { $0.rootsChanges }))

        case "touch_resource":
            guard let uri = stringArgument("uri") else { return }
            guard server.state.withLock({ $0.subscriptions.contains(uri) }) else {
                reply.toolText("not subscribed")
                return
            }
            reply.output.send(Message.notification("notifications/resources/updated", params: ["uri": .string(uri)]))
            reply.toolText("updated")

        case "progress":
            if let token = meta["progressToken"] {
                for step in 1...2 {
                    reply.output.send(
                        Message.notification(
                            "notifications/progress",
                            params: ["progressToken": token, "progress": .int(Int64(step)), "total": 2]
                        ))
                }
            }
            reply.toolText("done")

        default:
            if callHeaderTool(name, arguments: arguments, reply: reply) { return }
            if callHostileTool(name, arguments: arguments, meta: meta, reply: reply) { return }
            if callSecretFileTool(name, reply: reply) { return }
            reply.toolText("unknown tool \(name)", isError: true)
        }
    }

    /// The opaque state `confirm` hands out, with bytes a careless relay would change.
    static let confirmState = "state:1.0:18446744073709551615:\u{E9}\u{1F512}"

    /// The state after `answered` rounds: `confirmState` first, then with the round appended.
    private static func confirmState(after answered: Int) -> String {
        answered == 0 ? confirmState : confirmState + "#\(answered)"
    }

    /// A multi-round-trip call: a round returns `input_required` asking for an elicitation (only when the request's
    /// client declared elicitation), and each retry carries the answer and the exact state; after `rounds` answers
    /// (1 unless the argument says more) the call answers with the last.
    private static func confirm(_ params: [String: JSON], meta: [String: JSON], reply: Reply) {
        guard reply.era == .modern else {
            reply.toolText("confirm needs the 2026-07-28 era (input_required)", isError: true)
            return
        }
        let rounds = max(1, Int(params["arguments"]?["rounds"]?.intValue ?? 1))
        var answered = 0
        if let answer = params["inputResponses"]?["confirm"] {
            guard let state = params["requestState"]?.stringValue,
                let round = (0..<rounds).first(where: { state == confirmState(after: $0) })
            else {
                reply.toolText("the retry did not carry the requestState exactly", isError: true)
                return
            }
            answered = round + 1
            if answered == rounds {
                let said = answer["content"]?["answer"]?.stringValue ?? answer["action"]?.stringValue ?? "nothing"
                reply.toolText(rounds == 1 ? "confirmed: \(said)" : "confirmed: \(said) after \(rounds) rounds")
                return
            }
        }
        guard meta[MCP.clientCapabilitiesKey]?["elicitation"] != nil else {
            reply.toolText("the client did not declare elicitation", isError: true)
            return
        }
        let request: JSON = [
            "method": "elicitation/create",
            "params": [
                "message": "Proceed?", "mode": "form",
                "requestedSchema": [
                    "type": "object", "properties": ["answer": ["type": "string"]], "required": ["answer"],
                ],
            ],
        ]
        reply.inputRequired(["confirm": request], state: confirmState(after: answered))
    }
}
