import Logging
import NIOCore
import NIOHTTP1

/// One connection's requests and answers, in order: a request that arrives while an answer is being written
/// (HTTP pipelining) waits for it, and while one waits the connection is not read further.
///
/// A request with a body is first shown to `admit` on its head alone, and the connection is not read further until
/// it answers: a refusal (no token, a bad one, a foreign `Host`) is sent without reading the body, so a client
/// without a token cannot make the gateway hold a body. The connection then closes, after dropping what the client
/// still sends for a moment (so the client reads the answer, not a reset).
///
/// Timeouts (`ConnectionLimits`): a request's head must arrive within `headTimeout` (from the connection's start,
/// or from the first read after the previous answer), its body may pause for at most `idleTimeout`, and a kept-alive
/// connection may wait `idleTimeout` for its next request. None applies while an answer is produced or written.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Where the request being read stands.
    private enum Reading {
        /// Between requests: nothing of the next one has been seen.
        case idle
        /// Bytes arrived; its head is not complete.
        case head
        /// A head with a body, waiting for the answers before it to be written before it is admitted.
        case deferred(HTTPRequestHead)
        /// A head with a body being admitted: its body is not read meanwhile.
        case admitting(HTTPRequestHead)
        /// An admitted request's body (or the end of a request without one).
        case body(HTTPRequestHead)
        /// Refused on its head: what the client still sends is dropped until the connection closes.
        case discarding
    }

    /// Bytes dropped after a refusal before the connection is closed at once: more than the largest body a
    /// client may send whole before it reads the answer.
    static let discardLimit = 8 << 20
    /// How long a connection refused on a request's head stays to drop what its client still sends.
    static let linger: TimeAmount = .seconds(1)

    private let respond: HTTPServer.Responder
    private let admit: HTTPServer.Admitter?
    private let peer: String
    private let maximumBodySize: Int
    private let limits: ConnectionLimits
    private let logger: Logger
    private let onSlowReader: @Sendable () -> Void
    private let onEvent: @Sendable (ConnectionEvent) -> Void

    private var reading = Reading.head
    private var body = ByteBuffer()
    private var tooLarge = false
    /// Whether the end of a deferred or admitted request has been read already.
    private var endReceived = false
    private var discarded = 0
    /// Parts of the requests after one that is waiting, read whole, for its admission or its turn: at most what one
    /// read brought in, since the connection is not read meanwhile.
    private var pendingParts: [HTTPServerRequestPart] = []
    private var replaying = false
    /// Whether an answer is being produced or written; then requests read meanwhile wait in `waiting`.
    private var busy = false
    private var waiting: [HTTPRequest] = []
    /// A read the channel asked for while a request waits or is admitted: issued when that is over.
    private var heldRead = false
    /// The request being answered (or admitted): cancelled (and its upstream call with it) when the client goes away.
    private var answering: Task<Void, Never>?
    /// Answers produced so far: tells `start` whether its request was answered on its own stack (then the next
    /// waiting request may have started there too, and `answering` is that one's).
    private var answersProduced = 0
    /// The event stream being written: ended when the client goes away.
    private var streaming: EventStream?
    private var isClosed = false

    /// Whether a read's parts are being delivered (until `channelReadComplete`).
    private var inReadCycle = false
    /// An admission decided during a read: applied once the read's parts are all delivered, so that a body that
    /// came with its head is read first (and a refused request that was read whole leaves the connection usable).
    private var pendingAdmission: (head: HTTPRequestHead, refusal: HTTPAnswer?)?

    private var context: ChannelHandlerContext?
    /// When the connection is closed unless something happens first, and what it would be for.
    private var deadline: (at: NIODeadline, reason: ConnectionEvent.Timeout)?
    private var timer: Scheduled<Void>?
    private var timerAt = NIODeadline.distantFuture

    init(
        respond: @escaping HTTPServer.Responder, admit: HTTPServer.Admitter? = nil, peer: String,
        maximumBodySize: Int, limits: ConnectionLimits = ConnectionLimits(), logger: Logger,
        onSlowReader: @escaping @Sendable () -> Void, onEvent: @escaping @Sendable (ConnectionEvent) -> Void = { _ in }
    ) {
        (self.respond, self.admit, self.peer, self.maximumBodySize) = (respond, admit, peer, maximumBodySize)
        (self.limits, self.logger, self.onSlowReader, self.onEvent) = (limits, logger, onSlowReader, onEvent)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(.head, after: limits.headTimeout)  // the first request's head, from the connection's start
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    /// Bytes arrived (told by `ArrivalObserver`, before they are decoded): a kept-alive connection's next request
    /// has started, and its head has `headTimeout` to arrive.
    func bytesArrived() {
        guard case .idle = reading else { return }
        reading = .head
        arm(.head, after: limits.headTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inReadCycle = true
        handle(unwrapInboundIn(data), context: context)
    }

    /// One part of a request, read now or replayed from `pendingParts`.
    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        // A request waits, read whole, for its admission or its turn: what the same read brought of the requests
        // after it (pipelined) waits too, in order.
        if isBlocked || (!replaying && !pendingParts.isEmpty) {
            if case .discarding = reading { return }
            pendingParts.append(part)
            return
        }
        switch part {
        case .head(let next):
            if case .discarding = reading { return }
            body.clear()
            endReceived = false
            let declared = next.headers["Content-Length"].first.flatMap { Int($0) } ?? 0
            tooLarge = declared > maximumBodySize
            if !Self.hasBody(next) {
                reading = .body(next)  // its end follows at once
                disarm()
            } else if busy {
                reading = .deferred(next)
                disarm()
            } else {
                admit(next, context: context)
            }
        case .body(var chunk):
            switch reading {
            case .discarding:
                discarded += chunk.readableBytes
                if discarded > Self.discardLimit { context.close(promise: nil) }
                return
            case .body(let head):
                guard body.readableBytes + chunk.readableBytes <= maximumBodySize else {
                    return refuseUnread(tooLargeAnswer, head: head, context: context)
                }
                body.writeBuffer(&chunk)
                arm(.body, after: limits.idleTimeout)
            default:
                // Deferred or being admitted: only what one read brought in arrives meanwhile.
                if !tooLarge && body.readableBytes + chunk.readableBytes <= maximumBodySize {
                    body.writeBuffer(&chunk)
                } else {
                    tooLarge = true
                }
            }
        case .end:
            switch reading {
            case .deferred, .admitting:
                endReceived = true
            case .body(let head):
                reading = .idle
                complete(head, context: context)
            default:
                break
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inReadCycle = false
        if let pending = pendingAdmission {
            pendingAdmission = nil
            admitted(pending.head, refusal: pending.refusal, context: context)
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty && !isHoldingBody && pendingParts.isEmpty {
            context.read()
        } else {
            heldRead = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        isClosed = true
        timer?.cancel()
        answering?.cancel()
        streaming?.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A client that resets, or sends what is not HTTP: the second gets a 400 unless an answer is under way.
        logger.debug("connection ended", metadata: ["error": "\(error)"])
        if error is HTTPParserError, !busy, !isClosed {
            busy = true
            send(ResponseEncoding.badRequest, keepAlive: false, context: context)
        } else {
            context.close(promise: nil)
        }
    }

    private var isHoldingBody: Bool {
        switch reading {
        case .deferred, .admitting: true
        default: false
        }
    }

    private static func hasBody(_ head: HTTPRequestHead) -> Bool {
        if head.headers.contains(name: "Transfer-Encoding") { return true }
        return head.headers["Content-Length"].contains { $0 != "0" }
    }

    private var tooLargeAnswer: HTTPAnswer {
        .error(.payloadTooLarge, id: nil, -32600, "the request body is over the limit of \(maximumBodySize) bytes")
    }

    /// Shows a head with a body to `admit` before its body is read.
    private func admit(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if tooLarge { return refuseUnread(tooLargeAnswer, head: head, context: context) }
        guard let admit else { return proceed(head, context: context) }
        reading = .admitting(head)
        disarm()
        let request = HTTPRequest(head: head, body: ByteBuffer(), peer: peer)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let producedBefore = answersProduced
        let task = Task.immediate {
            let refusal = await admit(request)
            bound.execute { handler, context in
                handler.answersProduced += 1
                handler.answering = nil
                handler.admitted(head, refusal: refusal, context: context)
            }
        }
        if answersProduced == producedBefore { answering = task }  // still being admitted
    }

    private func admitted(_ head: HTTPRequestHead, refusal: HTTPAnswer?, context: ChannelHandlerContext) {
        guard !isClosed, case .admitting = reading else { return }
        if inReadCycle {
            pendingAdmission = (head, refusal)
            return
        }
        guard let refusal else { return proceed(head, context: context) }
        if endReceived {
            // The whole request was read with its head: answered like any other, and the connection stays usable.
            reading = .idle
            busy = true
            write(refusal, head: head, keepAlive: head.isKeepAlive, context: context)
        } else {
            refuseUnread(refusal, head: head, context: context)
        }
    }

    /// The body may be read now.
    private func proceed(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if tooLarge { return refuseUnread(tooLargeAnswer, head: head, context: context) }
        reading = .body(head)
        if endReceived {
            reading = .idle
            complete(head, context: context)
        } else {
            if head.version == .http1_1,
                head.headers["Expect"].contains(where: { $0.lowercased() == "100-continue" })
            {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")))
                    .whenFailure { _ in }
            }
            arm(.body, after: limits.idleTimeout)
        }
        resumeReading(context: context)
    }

    /// Answers a request whose body was not read, and closes the connection: its output at once, the rest after
    /// `linger` (or past `discardLimit`), dropping what arrives meanwhile.
    private func refuseUnread(_ answer: HTTPAnswer, head: HTTPRequestHead, context: ChannelHandlerContext) {
        reading = .discarding
        busy = true
        waiting = []
        pendingParts = []
        body = ByteBuffer()
        disarm()
        let channel = context.channel
        guard case .full(let status, let headers, let bytes) = answer,
            let encoded = ResponseEncoding.full(
                status: status, headers: headers, body: bytes, version: head.version, keepAlive: false,
                omitBody: head.method == .HEAD)
        else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(encoded)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        resumeReading(context: context)
    }

    /// Replays the parts that waited, then reads again unless a request is still waiting.
    private func resumeReading(context: ChannelHandlerContext) {
        if !replaying {
            replaying = true
            while !pendingParts.isEmpty && !isBlocked && !isClosed {
                handle(pendingParts.removeFirst(), context: context)
            }
            replaying = false
        }
        if heldRead && waiting.isEmpty && !isHoldingBody && pendingParts.isEmpty {
            heldRead = false
            context.read()
        }
    }

    /// Whether a request read whole waits for its admission or its turn.
    private var isBlocked: Bool { isHoldingBody && endReceived }

    /// A request read in full: answered now, or after the ones before it.
    private func complete(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = HTTPRequest(head: head, body: body, peer: peer)
        if busy {
            waiting.append(request)
        } else {
            start(request, context: context)
        }
    }

    private func start(_ request: HTTPRequest, context: ChannelHandlerContext) {
        busy = true
        disarm()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let respond = self.respond
        let producedBefore = answersProduced
        let task = Task.immediate {
            let answer = await respond(request)
            bound.execute { handler, context in
                handler.answersProduced += 1
                handler.answering = nil
                handler.write(answer, head: request.head, keepAlive: request.head.isKeepAlive, context: context)
            }
        }
        if answersProduced == producedBefore { answering = task }  // still being answered
    }

    /// The answer is written: the next waiting request goes, or the connection reads again (or closes).
    private func finished(keepAlive: Bool, context: ChannelHandlerContext) {
        guard keepAlive, !isClosed else {
            // The connection closes after this answer: it stays busy, so nothing read meanwhile is started.
            waiting = []
            return
        }
        busy = false
        if !waiting.isEmpty {
            start(waiting.removeFirst(), context: context)
        }
        guard !busy, !isClosed else { return }
        switch reading {
        case .deferred(let head): admit(head, context: context)
        case .idle: arm(.idle, after: limits.idleTimeout)
        case .head: arm(.head, after: limits.headTimeout)
        case .body: arm(.body, after: limits.idleTimeout)
        case .admitting, .discarding: break
        }
        resumeReading(context: context)
    }

    private func write(_ answer: HTTPAnswer, head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !isClosed else {
            if case .stream(_, let stream) = answer { stream.finish() }
            return
        }
        let version = head.version
        switch answer {
        case .full(let status, let headers, let body):
            guard
                let bytes = ResponseEncoding.full(
                    status: status, headers: headers, body: body, version: version, keepAlive: keepAlive,
                    omitBody: head.method == .HEAD)
            else { return refuseUnsendable(context: context) }
            send(bytes, keepAlive: keepAlive, context: context)
            finished(keepAlive: keepAlive, context: context)

        case .stream(var headers, let stream):
            headers.replaceOrAdd(name: "Content-Type", value: "text/event-stream")
            headers.replaceOrAdd(name: "Cache-Control", value: "no-cache, no-transform")
            headers.replaceOrAdd(name: "X-Accel-Buffering", value: "no")
            guard let streamHead = ResponseEncoding.streamHead(headers: headers, version: version, keepAlive: keepAlive)
            else {
                stream.finish()
                return refuseUnsendable(context: context)
            }
            context.writeAndFlush(wrapOutboundOut(streamHead), promise: nil)
            streaming = stream
            let (logger, peer, onSlowReader) = (self.logger, self.peer, self.onSlowReader)
            stream.onOverflow {
                logger.notice("ended an event stream whose client stopped reading", metadata: ["peer": "\(peer)"])
                onSlowReader()
            }
            let keepAliveTask = context.eventLoop.scheduleRepeatedTask(
                initialDelay: .seconds(15), delay: .seconds(15)
            ) { _ in stream.keepAlive() }
            let channel = context.channel
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Task.immediate {
                for await event in stream.events {
                    stream.didWrite(event)
                    // Waiting for each write is the back-pressure: a slow reader holds events in the stream,
                    // which ends itself past its limits.
                    let chunk = ResponseEncoding.chunk(event, version: version)
                    guard (try? await channel.writeAndFlush(chunk).get()) != nil else { break }
                }
                stream.finish()
                keepAliveTask.cancel()
                bound.execute { handler, context in
                    handler.streaming = nil
                    guard !handler.isClosed else { return }
                    // An HTTP/1.0 stream has no chunked end: closing the connection ends it.
                    let end = ResponseEncoding.streamEnd(version: version)
                    let reusable = keepAlive && end != nil
                    handler.send(end ?? ByteBuffer(), keepAlive: reusable, context: context)
                    handler.finished(keepAlive: reusable, context: context)
                }
            }
        }
    }

    /// Writes and flushes; closes the connection after it unless it is kept alive.
    private func send(_ bytes: ByteBuffer, keepAlive: Bool, context: ChannelHandlerContext) {
        let written = context.writeAndFlush(wrapOutboundOut(bytes))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// An endpoint built a header with a line break or a bad name: a bug, answered 500 rather than sent.
    private func refuseUnsendable(context: ChannelHandlerContext) {
        logger.error("an answer had a header that cannot be sent; answered 500 instead")
        send(ResponseEncoding.internalError, keepAlive: false, context: context)
        finished(keepAlive: false, context: context)
    }

    /// Closes the connection `after` from now for `reason`, unless re-armed or disarmed first. Not while busy.
    private func arm(_ reason: ConnectionEvent.Timeout, after amount: Duration) {
        guard !busy, let context else { return }
        let at = NIODeadline.now() + TimeAmount(amount)
        deadline = (at, reason)
        if timer == nil || at < timerAt { schedule(at, context: context) }
    }

    private func disarm() {
        deadline = nil  // the scheduled timer stays, and finds nothing due
    }

    private func schedule(_ at: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerAt = at
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: at) { bound.value.timerFired() }
    }

    private func timerFired() {
        (timer, timerAt) = (nil, .distantFuture)
        guard let due = deadline, !isClosed, !busy, let context else { return }
        guard NIODeadline.now() >= due.at else { return schedule(due.at, context: context) }
        deadline = nil
        onEvent(.timedOut(due.reason))
        logger.debug("closed a connection that timed out", metadata: ["peer": "\(peer)", "phase": "\(due.reason)"])
        context.close(promise: nil)
    }
}

extension NIOLoopBound {
    /// Runs `body` with the value on its event loop: at once when already there, else queued to it.
    fileprivate func execute<A, B>(_ body: @escaping @Sendable (A, B) -> Void) where Value == (A, B) {
        if eventLoop.inEventLoop {
            body(value.0, value.1)
        } else {
            let bound = self
            eventLoop.execute { body(bound.value.0, bound.value.1) }
        }
    }
}
