import BrokerClient
import BrokerProtocol
import Foundation
import TestSupport
import Testing

/// The blocking client never waits forever on a broker that stopped reading or answering.
struct BrokerClientTests {
    @Test func aWriteTheBrokerNeverReadsFailsAfterTheWriteTimeout() throws {
        let listener = try SilentListener()
        let client = try BlockingBrokerClient(path: listener.path, writeTimeout: 1)
        let started = Date()
        // Far more than the socket buffers hold: the write blocks until the timeout.
        let error = #expect(throws: BrokerClientError.self) {
            try client.sendRaw([UInt8](repeating: 0x20, count: 64 << 20))
        }
        #expect(error?.message == "the broker read nothing for 1 s")
        #expect(Date().timeIntervalSince(started) < 10)
        withExtendedLifetime(listener) {}
    }

    @Test func otherMessagesDoNotExtendTheWaitForAMatch() throws {
        let listener = try SilentListener()
        let client = try BlockingBrokerClient(path: listener.path)
        // A message that does not match every 100 ms for 3 s: each one used to restart the wait.
        listener.chatter(BrokerMessage.closed(channel: 1, reason: "not this one").frame, every: 0.1, for: 3)
        let started = Date()
        #expect(throws: BrokerClientError.self) { _ = try client.receive(timeout: 0.5) { _ -> Bool? in nil } }
        #expect(Date().timeIntervalSince(started) < 2)
        withExtendedLifetime(listener) {}
    }

    /// A broker that went away is an error to report. SIGPIPE is blocked on this thread while the client writes, so
    /// a write made without `MSG_NOSIGNAL` would leave one pending here (a blocked signal is kept even when the
    /// process ignores it) instead of killing the test run.
    @Test func writingToABrokerThatHungUpIsAnErrorAndRaisesNoSIGPIPE() throws {
        let listener = try SilentListener()
        let client = try BlockingBrokerClient(path: listener.path)
        listener.hangUpOnNextConnection()
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
        defer {
            var zero = timespec()
            while sigtimedwait(&pipeSignal, nil, &zero) == SIGPIPE {}  // drop what a failing run left pending
            pthread_sigmask(SIG_SETMASK, &previous, nil)
        }
        var failure: BrokerClientError?
        let deadline = Date().addingTimeInterval(10)
        // The first writes may land in the socket buffer before the hang-up is seen; one fails soon after.
        while failure == nil, Date() < deadline {
            do {
                try client.send(.listLeases(ref: "l"))
                Thread.sleep(forTimeInterval: 0.01)
            } catch {
                failure = error
            }
        }
        #expect(failure?.message == "the broker closed the connection")
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0, "a write raised SIGPIPE")
        withExtendedLifetime(listener) {}
    }
}

/// A Unix socket that accepts connections (in the kernel's backlog) and never reads from them; it can be made to
/// send the same frame over and over.
private final class SilentListener {
    let path: String
    private let fd: Int32

    init() throws {
        var template = Array("/tmp/sealgate-silent-XXXXXX".utf8CString)
        path = String(cString: mkdtemp(&template)!) + "/s.sock"
        fd = try listenOnUnixSocket(at: path)
    }

    /// Accepts one connection on a thread of its own and writes `frame` to it every `interval` for `duration` seconds.
    func chatter(_ frame: [UInt8], every interval: Double, for duration: Double) {
        let fd = self.fd
        Thread.detachNewThread {
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { return }
            defer { close(connection) }
            let end = Date().addingTimeInterval(duration)
            while Date() < end {
                let sent = frame.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 { return }  // the client has gone
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    /// Accepts one connection on a thread of its own and closes it at once.
    func hangUpOnNextConnection() {
        let fd = self.fd
        Thread.detachNewThread {
            let connection = accept(fd, nil, nil)
            if connection >= 0 { close(connection) }
        }
    }

    deinit {
        close(fd)
        unlink(path)
        rmdir((path as NSString).deletingLastPathComponent)
    }
}
