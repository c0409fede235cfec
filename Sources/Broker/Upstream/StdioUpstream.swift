import BrokerProtocol
import ChannelSupport
import Glibc
import Logging
import MCPWire
import NIOCore

/// One upstream MCP server process: started on first use, reused by every channel attached to it, restarted with
/// backoff after a crash, drained and restarted when its injection changes, stopped when idle or released.
///
/// Speaks the upstream's own era (probed once per definition) and hands results back in the neutral model.
/// JSON-RPC ids and progress tokens are always remapped, so any number of channels can share the process.
///
/// Runs on the broker's event loop, like the socket connections and the process's pipes: a request submitted from
/// a connection's read goes to the process and its answer back to the socket on that one thread.
actor StdioUpstream {
    enum State {
        case stopped
        case starting
        case ready(Running)
        /// Stdin closed, waiting for the process to exit.
        case stopping(Running)
        case crashed(at: ContinuousClock.Instant)
    }

    /// A live process and what was learned when it started.
    struct Running {
        let generation: Int
        /// The process's stdin (the pipe channel), with one flush for the requests forwarded in one turn of the loop.
        let stdin: LaneWriter<Int>
        let stop: AsyncStream<Void>.Continuation
        let fingerprint: String
        /// Masks everything the process sends back; it goes with the process.
        let masker: SecretMasker
        var era: ProtocolEra
        var info: UpstreamInfo?
    }

    struct Pending {
        let channel: Int?
        let originalID: RequestID?
        let deadline: ContinuousClock.Instant
        let timeout: Duration
        /// Called once with the answer, on the event loop.
        let reply: (Outcome) -> Void
    }

    let key: UpstreamKey
    private let loop: any EventLoop
    private let vault: VaultService
    private let supervisor: TaskSupervisor
    private let configuration: BrokerConfiguration
    private let eras: EraCache
    private let logger: Logger
    private let clock = ContinuousClock()
    /// Declared in a 2025-era handshake: what this upstream may ask its client (nil: nothing).
    private let clientCapabilities: JSONValue?

    private(set) var state: State = .stopped
    private var generation = 0
    private var startWaiters: [CheckedContinuation<Result<UpstreamInfo, BrokerError>, Never>] = []
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var pending: [Int: Pending] = [:]
    private var nextID = 0
    private var channels: [Int: MessageSink] = [:]
    private var progressTokens = ProgressTokens()
    private var upstreamRequests: [RequestID: Int] = [:]
    /// Requests for the client made before the first channel was attached (right after the handshake).
    private var early = EarlyRequests()
    /// Cancellations that arrived before their request reached this actor (the two travel different paths).
    private var earlyCancellations: [String] = []
    /// Messages read after a large line, waiting for it, per process generation (`readOffLoop`).
    private var lineOrder = LaneQueue<Int, JSONRPCMessage>()
    /// `exited` waiting for the large lines still being read: a process's last answer comes before "it exited".
    private var linesRead: [CheckedContinuation<Void, Never>] = []
    /// Requests that already have their answer: a cancellation for one of them is too late and is dropped.
    private var recentlyFinished: [String] = []
    private var listenID: Int?
    private var crashesInARow = 0
    private var lastActivity: ContinuousClock.Instant
    private var restartRequested = false
    private let counters: BrokerCounters

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    init(
        key: UpstreamKey, loop: any EventLoop, vault: VaultService, supervisor: TaskSupervisor,
        configuration: BrokerConfiguration, eras: EraCache, logger: Logger, counters: BrokerCounters,
        clientCapabilities: JSONValue? = nil
    ) {
        self.counters = counters
        self.clientCapabilities = clientCapabilities
        self.key = key
        self.loop = loop
        self.vault = vault
        self.supervisor = supervisor
        self.configuration = configuration
        self.eras = eras
        self.logger = logger
        self.lastActivity = ContinuousClock.now
    }

    // MARK: Channels

    func attach(channel: Int, sink: MessageSink) {
        channels[channel] = sink
        for request in early.take() { deliver(request) }
    }

    /// Detaches a channel; returns how many remain.
    func detach(channel: Int) -> Int {
        channels[channel] = nil
        for (id, entry) in pending where entry.channel == channel {
            pending[id] = nil
            entry.reply(.error(JSONRPCError(code: JSONRPCError.internalError, message: "channel closed")))
        }
        progressTokens.forget(channel: channel)
        return channels.count
    }

    var processID: Int32? { runningPID }
    private var runningPID: Int32?

    // MARK: Starting

    /// Starts the process if needed and returns what the upstream said about itself.
    func ensureStarted() async throws(BrokerError) -> UpstreamInfo {
        while true {
            switch state {
            case .ready(let running) where !restartRequested:
                if let info = running.info { return info }
                return try await waitForStart()
            case .starting, .ready, .stopping:
                return try await waitForStart()
            case .crashed(let at):
                let backoff = min(
                    configuration.initialBackoff * (1 << min(crashesInARow - 1, 16)), configuration.maximumBackoff)
                let due = at + backoff
                if clock.now < due {
                    try? await Task.sleep(until: due, clock: clock)
                    continue  // re-check: another caller may have started it meanwhile
                }
                return try await start()
            case .stopped:
                return try await start()
            }
        }
    }

    private func waitForStart() async throws(BrokerError) -> UpstreamInfo {
        let result = await withCheckedContinuation { startWaiters.append($0) }
        return try result.get()
    }

    private func start() async throws(BrokerError) -> UpstreamInfo {
        state = .starting
        let launch: StdioLaunch
        do throws(BrokerError) {
            launch = try await vault.launchPlan(server: key.server, workspace: key.workspace, session: key.session)
        } catch {
            return try finishStart(.failure(error))
        }
        generation += 1
        let generation = generation
        let plan = launch.plan
        let (stdoutClosed, stdoutEnded) = AsyncStream<Void>.makeStream()
        let pipes: UpstreamPipes
        do {
            pipes = try await UpstreamPipes.open(on: loop) { [self] event in
                if case .closed = event { stdoutEnded.finish() }
                self.assumeIsolated { $0.handle(event, generation: generation) }
            }
        } catch {
            return try finishStart(
                .failure(BrokerError(.upstreamFailed, "cannot make pipes for upstream \(key.server): \(error)")))
        }
        let (stopSignal, stop) = AsyncStream<Void>.makeStream()
        let era = await eras.era(for: plan.fingerprint)
        let running = Running(
            generation: generation, stdin: LaneWriter(pipes.channel), stop: stop,
            fingerprint: plan.fingerprint,
            masker: launch.masker, era: era ?? .modern, info: nil)
        state = .ready(running)
        restartRequested = false
        let grace = configuration.stopGrace
        supervisor.spawn { [self] in
            let outcome = await UpstreamProcess.run(
                plan: plan, stdin: pipes.childStdin, stdout: pipes.childStdout, stdoutClosed: stdoutClosed,
                stopSignal: stopSignal, grace: grace,
                started: { pid in await self.started(pid: pid, generation: generation) },
                stderr: { line in await self.stderr(line, generation: generation) })
            await self.exited(generation: generation, outcome: outcome)
        }
        do throws(BrokerError) {
            let (settledEra, info) = try await handshake(
                knownEra: era, generation: generation, fingerprint: plan.fingerprint)
            await eras.remember(settledEra, for: plan.fingerprint)
            guard case .ready(var current) = state, current.generation == generation else {
                throw BrokerError(.upstreamFailed, "upstream \(key.server) exited while starting")
            }
            current.era = settledEra
            current.info = info
            state = .ready(current)
            crashesInARow = 0
            counters.count(.started(restart: generation > 1), key)
            if settledEra == .modern { openListen(generation: generation) }
            return try finishStart(.success(info))
        } catch {
            if case .ready(let current) = state, current.generation == generation { stopProcess(current) }
            return try finishStart(.failure(error))
        }
    }

    private func finishStart(_ result: Result<UpstreamInfo, BrokerError>) throws(BrokerError) -> UpstreamInfo {
        if case .failure = result {
            // A process that exited while starting was counted by `exited` already.
            if case .crashed = state {} else { counters.count(.failed, key) }
            if case .starting = state { state = .crashed(at: clock.now) }
        }
        let waiters = startWaiters
        startWaiters = []
        for waiter in waiters { waiter.resume(returning: result) }
        return try result.get()
    }

    /// Probes the era with `server/discover` (unless already known) and falls back to `initialize`.
    private func handshake(knownEra: ProtocolEra?, generation: Int, fingerprint: String) async throws(BrokerError) -> (
        ProtocolEra, UpstreamInfo
    ) {
        if knownEra != .legacy {
            let outcome = await call(
                "server/discover", params: EraAdapter.discoverParams(), timeout: configuration.handshakeTimeout)
            if case .result(let result) = outcome, EraAdapter.isModern(discoverResult: result) {
                return (.modern, EraAdapter.upstreamInfo(from: result, era: .modern))
            }
            guard case .ready(let running) = state, running.generation == generation else {
                // The probe killed it (some legacy servers exit on an unknown first request): legacy next time.
                await eras.remember(.legacy, for: fingerprint)
                throw BrokerError(
                    .upstreamFailed, "upstream \(key.server) exited during the era probe; retrying as legacy")
            }
        }
        if case .ready(var running) = state {
            running.era = .legacy
            state = .ready(running)
        }
        let outcome = await call(
            "initialize", params: EraAdapter.initializeParams(capabilities: clientCapabilities),
            timeout: configuration.handshakeTimeout)
        guard case .result(let result) = outcome else {
            if case .error(let error) = outcome {
                throw BrokerError(.upstreamFailed, "upstream \(key.server) refused initialize: \(error.message)")
            }
            throw BrokerError(.upstreamFailed, "upstream \(key.server) did not initialize")
        }
        write(.notification(method: "notifications/initialized", params: nil))
        return (.legacy, EraAdapter.upstreamInfo(from: result, era: .legacy))
    }

    /// A modern upstream pushes list changes only on a `subscriptions/listen` stream: keep one open for its life.
    private func openListen(generation: Int) {
        nextID += 1
        listenID = nextID
        let params: JSONValue = .object([
            "notifications": .object([
                "toolsListChanged": true, "promptsListChanged": true, "resourcesListChanged": true,
            ])
        ])
        write(
            .request(
                id: RequestID(nextID), method: "subscriptions/listen",
                params: EraAdapter.upstreamParams(params, era: .modern)))
    }

    // MARK: Requests

    /// Forwards one request from a channel and returns the upstream's answer in the neutral model.
    func request(channel: Int, id originalID: RequestID, method: String, params: JSONValue?) async -> Outcome {
        do {
            _ = try await ensureStarted()
        } catch {
            return .error(JSONRPCError(code: JSONRPCError.internalError, message: error.description))
        }
        return await withCheckedContinuation { continuation in
            send(channel: channel, id: originalID, method: method, params: params) {
                continuation.resume(returning: $0)
            }
        }
    }

    /// Forwards one request and calls `reply` with the answer, on the event loop. A running process gets the
    /// request at once, from the caller's stack; otherwise it waits for the start in a task of its own.
    func submit(
        channel: Int, id: RequestID, method: String, params: JSONValue?,
        reply: @escaping @Sendable (Outcome) -> Void
    ) {
        guard case .ready(let running) = state, running.info != nil, !restartRequested else {
            supervisor.spawn { [self] in
                reply(await request(channel: channel, id: id, method: method, params: params))
            }
            return
        }
        send(channel: channel, id: id, method: method, params: params, reply: reply)
    }

    /// Writes a request of a running process, with its id and progress token remapped.
    private func send(
        channel: Int, id originalID: RequestID, method: String, params: JSONValue?,
        reply: @escaping (Outcome) -> Void
    ) {
        guard case .ready(let running) = state else {
            reply(
                .error(JSONRPCError(code: JSONRPCError.internalError, message: "upstream \(key.server) is not running"))
            )
            return
        }
        let finished = "\(channel)|\(originalID)"
        if let index = earlyCancellations.firstIndex(of: finished) {
            earlyCancellations.remove(at: index)
            reply(.error(JSONRPCError(code: JSONRPCError.internalError, message: "request cancelled")))
            return
        }
        let (upstreamParams, mappedToken) = progressTokens.map(
            EraAdapter.upstreamParams(params, era: running.era), channel: channel)
        call(
            method, params: upstreamParams, channel: channel, originalID: originalID,
            timeout: configuration.requestTimeout
        ) { [self] outcome in
            recentlyFinished.append(finished)
            if recentlyFinished.count > 64 { recentlyFinished.removeFirst() }
            progressTokens.release(mappedToken)
            finishDrainIfDone()
            switch outcome {
            case .result(let result): reply(.result(EraAdapter.neutralResult(result)))
            case .error: reply(outcome)
            }
        }
    }

    /// Sends a request upstream and waits for its answer (for the handshake).
    private func call(_ method: String, params: JSONValue?, timeout: Duration) async -> Outcome {
        await withCheckedContinuation { continuation in
            call(method, params: params, channel: nil, originalID: nil, timeout: timeout) {
                continuation.resume(returning: $0)
            }
        }
    }

    /// Sends a request upstream; `reply` gets its answer, or a timeout error after `timeout` (enforced by
    /// `expireOverdue`, which the broker's sweep calls: a timer per request would cost more than the request).
    private func call(
        _ method: String, params: JSONValue?, channel: Int?, originalID: RequestID?, timeout: Duration,
        reply: @escaping (Outcome) -> Void
    ) {
        nextID += 1
        let id = nextID
        lastActivity = clock.now
        pending[id] = Pending(
            channel: channel, originalID: originalID, deadline: lastActivity + timeout, timeout: timeout, reply: reply)
        write(.request(id: RequestID(id), method: method, params: params))
    }

    /// Fails every request past its deadline and tells the upstream to cancel it.
    func expireOverdue() {
        let now = clock.now
        for (id, entry) in pending where entry.deadline <= now && id != listenID {
            pending[id] = nil
            write(
                .notification(
                    method: "notifications/cancelled",
                    params: .object(["requestId": JSONValue(id), "reason": "timeout"])))
            logger.warning(
                "upstream request timed out", metadata: ["upstream": "\(key)", "timeout": "\(entry.timeout)"])
            entry.reply(
                .error(
                    JSONRPCError(
                        code: JSONRPCError.internalError,
                        message: "upstream \(key.server) did not answer within \(entry.timeout)",
                        data: .object(["reason": "timeout"]))))
        }
        finishDrainIfDone()
    }

    /// The client gave up on a request: answer it as cancelled and tell the upstream.
    func cancel(channel: Int, originalID: RequestID, reason: JSONValue?) {
        guard
            let (id, entry) = pending.first(where: { $0.value.channel == channel && $0.value.originalID == originalID })
        else {
            // Remember a few: the request may still be on its way here (unless it already finished).
            guard !recentlyFinished.contains("\(channel)|\(originalID)") else { return }
            earlyCancellations.append("\(channel)|\(originalID)")
            if earlyCancellations.count > 64 { earlyCancellations.removeFirst() }
            return
        }
        pending[id] = nil
        var params: JSONObject = ["requestId": JSONValue(id)]
        if let reason { params["reason"] = reason }
        write(.notification(method: "notifications/cancelled", params: .object(params)))
        entry.reply(.error(JSONRPCError(code: JSONRPCError.internalError, message: "request cancelled")))
        finishDrainIfDone()
    }

    /// A notification from the client for the upstream (other than cancellation): passed on as it is.
    func notify(method: String, params: JSONValue?) {
        guard case .ready(let running) = state else { return }
        write(.notification(method: method, params: EraAdapter.upstreamParams(params, era: running.era)))
    }

    /// The client's answer to a request the upstream made.
    func reply(channel: Int, id: RequestID, outcome: Outcome) {
        guard upstreamRequests.removeValue(forKey: id) == channel else { return }
        switch outcome {
        case .result(let result): write(.result(id: id, result: result))
        case .error(let error): write(.error(id: id, error))
        }
    }

    /// Writes one message as a line. A heavy one (a client's 4 MiB arguments) is serialized on the thread pool, not
    /// on the broker's loop that every workspace shares; the lines written after it wait for it (one lane: a
    /// process reads its stdin in order).
    private func write(_ message: JSONRPCMessage) {
        guard case .ready(let running) = state else { return }
        running.stdin.write(lane: 0, heavy: message.outweighs(HeavyWork.weight)) { Self.line(message) }
    }

    private static func line(_ message: JSONRPCMessage) -> ByteBuffer {
        ByteBuffer(bytes: message.serialized + [0x0A])
    }

    // MARK: What the process says

    private func started(pid: Int32, generation: Int) {
        guard generation == self.generation else { return }
        runningPID = pid
        logger.info("upstream started", metadata: ["upstream": "\(key)", "pid": "\(pid)"])
    }

    private func stderr(_ line: String, generation: Int) {
        guard generation == self.generation, let masker = currentMasker else { return }
        // Masked whole, then cut: a secret across the cut is masked before it could be split by it.
        let masked = masker.mask(line)
        let shown =
            masked.utf8.count > UpstreamProcess.maximumLogLineLength
            ? String(decoding: masked.utf8.prefix(UpstreamProcess.maximumLogLineLength), as: UTF8.self) + "…"
            : masked
        logger.notice("upstream stderr: \(shown)", metadata: ["upstream": "\(key)"])
    }

    /// What the process wrote on stdout, on the event loop as it is read.
    private func handle(_ event: UpstreamPipes.Event, generation: Int) {
        guard generation == self.generation, let masker = currentMasker else { return }
        switch event {
        case .line(let line) where line.count >= HeavyWork.bytes:
            readOffLoop(line, masker: masker, generation: generation)
        case .line(let line):
            guard let message = Self.read(line, masker: masker) else { return notJSONRPC() }
            if let ready = lineOrder.arrive(message, lane: generation) { deliver(ready) }
        case .tooLong:
            logger.error("upstream wrote a line over the limit; stopping it", metadata: ["upstream": "\(key)"])
            if let runningPID { kill(-runningPID, SIGKILL) }
        case .closed:
            break  // the process's run ends with it; `exited` follows
        }
    }

    /// One line's message, masked; nil when it is not JSON-RPC.
    private static func read(_ line: [UInt8], masker: SecretMasker) -> JSONRPCMessage? {
        guard let message = try? JSONRPCMessage.parse(line) else { return nil }
        return masker.mayOccur(inJSON: line) ? masker.mask(message) : message
    }

    /// Parses and masks a large line (an upstream's 4 MiB result) on the thread pool, not on the broker's loop that
    /// every workspace shares; the lines after it wait for it (a progress notification stays before its result).
    /// Stdout is not read meanwhile: an upstream writing large lines faster than they parse fills its pipe, not the
    /// broker's memory or the pool's queue.
    private func readOffLoop(_ line: [UInt8], masker: SecretMasker, generation: Int) {
        let ticket = lineOrder.hold(lane: generation)
        setReading(false)
        HeavyWork.run(on: loop) { Self.read(line, masker: masker) }.whenComplete { [self] read in
            assumeIsolated { upstream in
                let message = try? read.get()  // nil inside: not JSON-RPC; a failure: the pool stopped with the broker
                if message == nil { upstream.notJSONRPC() }
                for ready in upstream.lineOrder.finish(ticket, with: message)
                where generation == upstream.generation {
                    upstream.deliver(ready)
                }
                guard !upstream.lineOrder.isHolding else { return }
                if generation == upstream.generation { upstream.setReading(true) }
                for waiter in upstream.linesRead { waiter.resume() }
                upstream.linesRead = []
            }
        }
    }

    /// Starts or stops reading the process's stdout.
    private func setReading(_ reading: Bool) {
        switch state {
        case .ready(let running), .stopping(let running):
            try? running.stdin.writer.channel.syncOptions?.setOption(.autoRead, value: reading)  // fails once closed
        default:
            break
        }
    }

    private func notJSONRPC() {
        logger.warning("upstream wrote something that is not JSON-RPC", metadata: ["upstream": "\(key)"])
    }

    private var currentMasker: SecretMasker? {
        switch state {
        case .ready(let r), .stopping(let r): r.masker
        default: nil
        }
    }

    private func deliver(_ message: JSONRPCMessage) {
        switch message {
        case .result(let id, let result):
            resolve(id, .result(result))
        case .error(let id, let error):
            if let id { resolve(id, .error(error)) }
        case .notification(let method, let params):
            if method == "notifications/progress", let target = progressTokens.route(params) {
                channels[target.channel]?.sendUnasked(
                    .notification(channel: target.channel, method: method, params: target.params))
                return
            }
            // The upstream withdraws a request it made of its client: the channel that carried it hears so.
            if method == "notifications/cancelled", let raw = params?["requestId"],
                let id = RequestID(json: raw), let channel = upstreamRequests.removeValue(forKey: id)
            {
                channels[channel]?.sendUnasked(.notification(channel: channel, method: method, params: params))
                return
            }
            // Progress for a request that already finished (or was never ours) goes nowhere: its token is internal.
            guard method != "notifications/progress", method != "notifications/subscriptions/acknowledged",
                method != "notifications/cancelled"
            else { return }
            let neutral = EraAdapter.neutralNotificationParams(params)
            for (channel, sink) in channels {
                sink.sendUnasked(.notification(channel: channel, method: method, params: neutral))
            }
        case .request(let id, let method, let params):
            if method == "ping" {
                write(.result(id: id, result: .object([:])))
                return
            }
            // A legacy upstream asks its client (sampling, elicitation, roots): route it to the channel whose request
            // is the oldest in flight, or any attached channel.
            let channel =
                pending.sorted { $0.key < $1.key }.first { $0.value.channel != nil }?.value.channel
                ?? channels.keys.min()
            if channel == nil, early.hold(message) { return }
            guard let channel, let sink = channels[channel],
                sink.sendUnasked(.upstreamRequest(channel: channel, id: id, method: method, params: params))
            else {
                write(.error(id: id, JSONRPCError(code: JSONRPCError.methodNotFound, message: "no client to ask")))
                return
            }
            upstreamRequests[id] = channel
        }
    }

    private func resolve(_ id: RequestID, _ outcome: Outcome) {
        guard case .number(let lexeme) = id, let number = Int(lexeme), let entry = pending.removeValue(forKey: number)
        else {
            return
        }
        entry.reply(outcome)
    }

    // MARK: Stopping

    private func exited(generation: Int, outcome: UpstreamProcess.Outcome) async {
        guard generation == self.generation else { return }
        let atExit = state  // a `stop` while the last lines are read must not turn a crash into a stop
        if lineOrder.isHolding {
            await withCheckedContinuation { linesRead.append($0) }
            guard generation == self.generation else { return }
        }
        let wasStopping: Bool
        var running: Running?
        switch atExit {
        case .stopping(let r):
            wasStopping = true
            running = r
        case .ready(let r):
            wasStopping = false
            running = r
        default:
            wasStopping = false
        }
        running?.stdin.writer.channel.close(promise: nil)
        runningPID = nil
        listenID = nil
        let failures = pending
        pending = [:]
        // The next process numbers its own requests from the start: answers meant for this one must not reach it.
        upstreamRequests = [:]
        _ = early.take()
        for entry in failures.values {
            entry.reply(
                .error(JSONRPCError(code: JSONRPCError.internalError, message: "upstream \(key.server) exited")))
        }
        // A launch failure's text may quote the resolved arguments: mask it like anything else from the upstream.
        let how = running.map { $0.masker.mask("\(outcome)") } ?? "(withheld)"
        if wasStopping {
            state = .stopped
            logger.info("upstream stopped", metadata: ["upstream": "\(key)", "how": "\(how)"])
        } else {
            crashesInARow += 1
            counters.count(.failed, key)
            state = .crashed(at: clock.now)
            logger.error("upstream exited unexpectedly", metadata: ["upstream": "\(key)", "how": "\(how)"])
        }
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.resume() }
        if wasStopping && restartRequested && (!channels.isEmpty || !startWaiters.isEmpty) {
            // A drain for new secrets ended: start again; requests that waited meanwhile get the new process
            // (start() answers every waiter, with the failure too if it fails).
            if (try? await start()) != nil { announceListsMayHaveChanged(to: channels) }
            return
        }
        let starting = startWaiters
        startWaiters = []
        for waiter in starting {
            waiter.resume(
                returning: .failure(BrokerError(.upstreamFailed, "upstream \(key.server) exited while starting")))
        }
    }

    private func stopProcess(_ running: Running) {
        state = .stopping(running)
        running.stdin.writer.channel.close(mode: .output, promise: nil)
        running.stop.yield()
    }

    /// Stops the process (stdin closed, then SIGTERM and SIGKILL to its process group) and waits for it to exit.
    func stop() async {
        restartRequested = false
        switch state {
        case .ready(let running):
            stopProcess(running)
            await withCheckedContinuation { exitWaiters.append($0) }
        case .stopping:
            await withCheckedContinuation { exitWaiters.append($0) }
        case .crashed:
            state = .stopped
        default:
            break
        }
    }

    /// Re-establishes the upstream when what it was started with changed: in-flight calls finish first.
    func refresh(fingerprint: String) {
        guard case .ready(let running) = state, running.fingerprint != fingerprint else { return }
        restartRequested = true
        logger.info("upstream injection changed; draining to restart", metadata: ["upstream": "\(key)"])
        finishDrainIfDone()
    }

    private func finishDrainIfDone() {
        guard restartRequested, case .ready(let running) = state, pending.keys.allSatisfy({ $0 == listenID }) else {
            return
        }
        stopProcess(running)
    }

    /// Stops the process when nothing used it for `idleTimeout`.
    func stopIfIdle() {
        guard case .ready(let running) = state, running.info != nil,
            pending.keys.allSatisfy({ $0 == listenID }), clock.now - lastActivity >= configuration.idleTimeout
        else { return }
        logger.info("upstream idle; stopping", metadata: ["upstream": "\(key)"])
        stopProcess(running)
    }
}
