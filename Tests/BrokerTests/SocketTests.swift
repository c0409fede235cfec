import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import SocketTrust
import TestSupport
import Testing

/// Who may talk to the broker, and what it does with bad input.
@Suite(.serialized)
struct SocketTests {
    @Test func theCredentialCheckAdmitsOnlyTheBrokersOwnUser() {
        #expect(PeerCredentials(pid: 1, uid: 1000, gid: 1000).isAllowed(ownUID: 1000))
        #expect(!PeerCredentials(pid: 1, uid: 1001, gid: 1000).isAllowed(ownUID: 1000))
        #expect(!PeerCredentials(pid: 1, uid: 0, gid: 0).isAllowed(ownUID: 1000))
    }

    /// A real peer of another uid, let through the file modes on purpose, is refused by the broker itself.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func aPeerOfAnotherUserIsRefused() async throws {
        let harness = try BrokerHarness()
        try await harness.start()
        let directory = (harness.socketPath as NSString).deletingLastPathComponent
        chmod(directory, 0o755)
        chmod(harness.socketPath, 0o777)
        let hello = BrokerMessage.hello(protocolVersion: 1, client: "intruder").frame
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            try:
                s.sendall(bytes.fromhex(sys.argv[2]))
            except BrokenPipeError:
                pass  # the broker may refuse and close before reading anything
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            print(data[4:].decode())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script, harness.socketPath,
            hello.map { String(format: "%02x", $0) }.joined(),
        ]
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]  // nothing of ours for the intruder
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.killIfStillRunning(after: 60)
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try process.waitForExit()
        #expect(answer.contains("\"code\":\"refused\""), "answer: \(answer) \(complaint)")
        #expect(!answer.contains("snapshot"))
        #expect(harness.logs.contains("refused a broker client of another user"))
        // The broker's own user is still served.
        _ = try harness.client()
        await harness.stop()
    }

    /// Where a broker socket may be: a directory of the user's (or root's) that nobody else can write, under
    /// directories others can write only if they are sticky; never a symbolic link or someone else's file.
    @Test func aSocketPathOthersCouldTakeOverIsRefused() throws {
        var template = Array("/tmp/sealgate-placement-XXXXXX".utf8CString)
        let directory = try #require(mkdtemp(&template).map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/broker.sock"
        #expect(SocketPlacement.problem(with: path) == nil)  // 0700, under sticky /tmp
        chmod(directory, 0o770)
        #expect(SocketPlacement.problem(with: path)?.contains("can be written by other users") == true)
        chmod(directory, 0o1777)
        #expect(SocketPlacement.problem(with: path)?.contains("can be written by other users") == true)
        chmod(directory, 0o755)
        #expect(SocketPlacement.problem(with: path) == nil)
        // A directory above that others can write and that is not sticky: they could rename ours away.
        try FileManager.default.createDirectory(atPath: directory + "/inner", withIntermediateDirectories: false)
        chmod(directory + "/inner", 0o700)
        chmod(directory, 0o777)
        #expect(SocketPlacement.problem(with: directory + "/inner/broker.sock")?.contains(directory) == true)
        chmod(directory, 0o700)
        #expect(SocketPlacement.problem(with: directory + "/inner/broker.sock") == nil)
        // A link to a directory is judged by where it leads: here into the open directory.
        chmod(directory, 0o777)
        try FileManager.default.createDirectory(atPath: directory + "/inner2", withIntermediateDirectories: false)
        chmod(directory + "/inner2", 0o700)
        var linkTemplate = Array("/tmp/sealgate-link-XXXXXX".utf8CString)
        let linkHome = try #require(mkdtemp(&linkTemplate).map { String(cString: $0) })
        defer { try? FileManager.default.removeItem(atPath: linkHome) }
        symlink(directory + "/inner2", linkHome + "/via")
        #expect(SocketPlacement.problem(with: linkHome + "/via/broker.sock")?.contains(directory) == true)
        chmod(directory, 0o700)
        #expect(SocketPlacement.problem(with: linkHome + "/via/broker.sock") == nil)
        // A symbolic link where the socket should be.
        symlink("/somewhere/else.sock", path)
        #expect(SocketPlacement.problem(with: path)?.contains("symbolic link") == true)
        unlink(path)
        // A directory or a file of another user (root can make them).
        if getuid() == 0 {
            chown(directory, 65534, 65534)
            #expect(SocketPlacement.problem(with: path)?.contains("belongs to another user") == true)
            chown(directory, 0, 0)
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            chown(path, 65534, 65534)
            #expect(SocketPlacement.problem(with: path)?.contains("belongs to another user") == true)
        }
    }

    /// `sealgate leases` and every other blocking client refuse a broker of another user, before sending a byte.
    @Test(.enabled(if: ForeignBroker.isAvailable))
    func aClientRefusesABrokerOfAnotherUser() throws {
        let path = try privateSocketPath("foreign")
        let foreign = try ForeignBroker(at: path)
        #expect {
            _ = try BlockingBrokerClient(path: path)
        } throws: { error in
            "\(error)".contains("runs as uid 65534")
        }
        #expect(try foreign.received().isEmpty)
    }

    @Test func theSocketIsOwnerOnly() async throws {
        let harness = try BrokerHarness()
        try await harness.start()
        var info = stat()
        #expect(stat(harness.socketPath, &info) == 0)
        #expect(info.st_mode & 0o077 == 0)
        await harness.stop()
    }

    @Test func malformedFramesAreAnsweredWithErrorsAndTheConnectionGoesOn() async throws {
        let harness = try BrokerHarness { vault in try BrokerHarness.addUpstream(vault, slug: "up") }
        try await harness.start()
        let client = try harness.client()
        let junk = Array("{not json".utf8)
        try client.sendRaw([0, 0, 0, UInt8(junk.count)] + junk)
        try client.sendRaw(FrameDecoder.encode(["type": "teleport"]))
        try client.sendRaw(FrameDecoder.encode(["type": "open", "ref": "bad", "workspace": 3]))
        try client.sendRaw(FrameDecoder.encode(["type": "request", "channel": 999, "id": 1, "method": "tools/list"]))
        var codes: [FailureCode] = []
        var unknownChannel: Outcome?
        while codes.count < 3 || unknownChannel == nil {
            switch try client.receive() {
            case .failure(_, _, let code, _): codes.append(code)
            case .response(999, _, let outcome): unknownChannel = outcome
            default: break
            }
        }
        #expect(codes == [.malformedFrame, .unknownMessage, .malformedFrame])
        if case .error(let error) = unknownChannel {
            #expect(error.code == -32600)
        } else {
            Issue.record("\(String(describing: unknownChannel))")
        }
        // Still serving on the same connection.
        let (channel, _, _) = try client.open("up")
        #expect(try client.tool(channel, "echo", ["text": "fine"]) == "fine")
        await harness.stop()
    }

    @Test func anOversizedFrameClosesTheConnectionButNotTheBroker() async throws {
        let harness = try BrokerHarness()
        try await harness.start()
        let client = try harness.client()
        try client.sendRaw([0x7F, 0xFF, 0xFF, 0xFF, 0x7B])
        let failure = try client.receive()
        guard case .failure(_, _, .malformedFrame, let message) = failure else { throw CLIFailure("\(failure)") }
        #expect(message.contains("over the limit"))
        #expect(throws: BrokerClientError.self) { _ = try client.receive(timeout: 5) }
        _ = try harness.client()
        await harness.stop()
    }

    @Test func anotherProtocolVersionIsRefused() async throws {
        let harness = try BrokerHarness()
        try await harness.start()
        let client = try BlockingBrokerClient(path: harness.socketPath)
        try client.send(.hello(protocolVersion: 99, client: "future"))
        guard case .failure(_, _, .refused, let message) = try client.receive() else { throw CLIFailure("not refused") }
        #expect(message.contains("protocol 99"))
        await harness.stop()
    }

    /// Many thousands of random frames at a live broker: it answers errors and keeps serving.
    @Test func randomFramesDoNotBreakALiveBroker() async throws {
        let harness = try BrokerHarness()
        try await harness.start()
        let client = try harness.client()
        var rng = SystemRandomNumberGenerator()
        let valid = FrameCodecSamples.all
        for _ in 0..<3_000 {
            var frame = valid.randomElement(using: &rng)!
            frame[Int.random(in: 4..<frame.count, using: &rng)] = UInt8.random(in: 0x20...0x7E, using: &rng)
            try client.sendRaw(frame)
        }
        try client.send(.listLeases(ref: "alive"))
        _ = try client.receive(timeout: 20) { message -> Bool? in
            if case .leases("alive", _) = message { return true }
            return nil
        }
        await harness.stop()
    }
}

enum FrameCodecSamples {
    static let all: [[UInt8]] = [
        BrokerMessage.listLeases(ref: "r").frame,
        BrokerMessage.renew(ref: "r", lease: "lease_x").frame,
        BrokerMessage.close(channel: 12345).frame,
        BrokerMessage.notify(channel: 12345, method: "notifications/cancelled", params: .object(["requestId": 1]))
            .frame,
        BrokerMessage.reply(channel: 12345, id: RequestID(1), outcome: .result(.object([:]))).frame,
    ]
}
