import BrokerClient
import Foundation
import MCPWire
import Testing

@testable import Broker
@testable import Vault

/// `${NAME:file}`: the upstream gets the path of a file that holds the value, never the value on its command line
/// (which every local user reads in `/proc/PID/cmdline`); the file is its user's only, and goes with its process.
@Suite(.serialized)
struct SecretFileTests {
    static let token = "tok-7c1f-file-only-Value"

    func harness() throws -> BrokerHarness {
        try BrokerHarness { vault in
            try vault.addServer(
                ServerDefinition(
                    slug: "up",
                    transport: .stdio(
                        command: BrokerHarness.upstream, args: ["--era=dual", "--secret-file", "${TOKEN:file}"])))
            try vault.install(server: "up", workspace: "eng")
            try vault.setSecret(
                server: "up", name: "TOKEN", value: SecretValue(unsafeFromString: Self.token), workspace: "eng")
        }
    }

    /// (hash of the file's contents, file mode, directory mode, path), as the upstream itself reads them.
    func secretFile(_ client: BlockingBrokerClient, _ channel: Int) throws -> (String, String, String, String) {
        let parts = try client.tool(channel, "secret_file").split(separator: " ").map(String.init)
        guard parts.count == 4 else { throw CLIFailure("secret_file: \(parts)") }
        return (parts[0], parts[1], parts[2], parts[3])
    }

    func commandLine(_ pid: Int32) throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        return String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    @Test func theUpstreamReadsTheValueFromAFileAndItsCommandLineHoldsOnlyThePath() async throws {
        let harness = try harness()
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let (hash, fileMode, directoryMode, path) = try secretFile(client, channel)
        #expect(hash == sha256(Self.token), "the upstream read the value from the file")
        #expect(fileMode == "600" && directoryMode == "700")
        let pid = try #require(Int32(try client.tool(channel, "pid")))
        let cmdline = try commandLine(pid)
        #expect(cmdline.contains("--secret-file \(path)"), "\(cmdline)")
        #expect(!cmdline.contains(Self.token) && !cmdline.contains("tok-7c1f"))
        await harness.stop()
        #expect(!harness.logs.contains(Self.token))
    }

    @Test func theFileGoesWhenTheProcessExitsAndAtBrokerStop() async throws {
        let harness = try harness()
        try await harness.start(["--restart-backoff", "100ms"])
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let (_, _, _, first) = try secretFile(client, channel)
        let firstDirectory = (first as NSString).deletingLastPathComponent
        #expect(FileManager.default.fileExists(atPath: first))
        #expect(try client.tool(channel, "crash").contains("exited"))
        #expect(await eventually { !FileManager.default.fileExists(atPath: first) }, "left after the process died")
        #expect(!FileManager.default.fileExists(atPath: firstDirectory))
        // The next process gets a file of its own, gone once the broker stops.
        let (hash, _, _, second) = try secretFile(client, channel)
        #expect(hash == sha256(Self.token) && second != first)
        await harness.stop()
        #expect(!FileManager.default.fileExists(atPath: second), "left after the broker stopped")
        #expect(!FileManager.default.fileExists(atPath: (second as NSString).deletingLastPathComponent))
    }
}

/// The pieces of `${NAME:file}` on their own: where the form is refused, and directories it will not write into.
struct SecretFilePlacementTests {
    static let value = "placement-secret-Value-42"
    let secrets = [InjectedSecret(name: "TOKEN", version: 1, value: SecretValue(unsafeFromString: value))]

    func temporaryDirectory() throws -> String {
        var template = Array("/tmp/sealgate-files-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw CLIFailure("mkdtemp failed") }
        return String(cString: path)
    }

    @Test func theFileFormIsRefusedInACommandAndAnHTTPTarget() throws {
        #expect(throws: BrokerError.self) {
            _ = try ChildEnvironment(
                command: "${TOKEN:file}", arguments: [], environment: [], secrets: secrets, server: "s",
                workspace: "w")
        }
        do throws(BrokerError) {
            _ = try ResolvedHTTPTarget(
                url: "https://h/mcp", headers: [.init(name: "X", value: "${TOKEN:file}")], secrets: secrets,
                server: "s", workspace: "w")
            Issue.record("a header with ${TOKEN:file} was accepted")
        } catch {
            #expect(error.code == .refused && !error.description.contains(Self.value))
        }
    }

    @Test func theFileIsWrittenUnderXDGRuntimeDirAndRemovedWithTheLaunch() throws {
        let runtime = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        var environment: ChildEnvironment? = try ChildEnvironment(
            command: "/bin/true", arguments: ["--token-file=${TOKEN:file}"],
            environment: [.init(name: "TOKEN_FILE", value: "${TOKEN:file}")], secrets: secrets,
            parent: ["XDG_RUNTIME_DIR": runtime], server: "s", workspace: "w")
        let argument = try #require(environment?.arguments.first)
        let path = String(argument.dropFirst("--token-file=".count))
        #expect(path.hasPrefix(runtime + "/sealgate/launch-"))
        #expect(!argument.contains(Self.value))
        #expect(environment?.rows.contains(Array("TOKEN_FILE=\(path)\0".utf8)) == true, "one file per secret")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.value)
        environment = nil
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
    }

    /// Another user (or a careless umask) could read a directory that others can open: nothing is written there, and
    /// the error names the directory, never the value.
    @Test(arguments: [0o755, 0o711, 0o770])
    func aPerUserDirectoryOthersCanOpenIsRefused(_ mode: Int) throws {
        let runtime = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        #expect(mkdir(runtime + "/sealgate", mode_t(mode)) == 0 && chmod(runtime + "/sealgate", mode_t(mode)) == 0)
        do throws(BrokerError) {
            _ = try ChildEnvironment(
                command: "/bin/true", arguments: ["${TOKEN:file}"], environment: [], secrets: secrets,
                parent: ["XDG_RUNTIME_DIR": runtime], server: "s", workspace: "w")
            Issue.record("wrote a secret file under a directory with mode \(String(mode, radix: 8))")
        } catch {
            #expect(error.code == .refused && error.message.contains(runtime + "/sealgate"))
            #expect(!error.description.contains(Self.value))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: runtime + "/sealgate").isEmpty)
    }

    @Test func aSymbolicLinkInPlaceOfThePerUserDirectoryIsRefused() throws {
        let runtime = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let elsewhere = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        chmod(elsewhere, 0o700)
        #expect(symlink(elsewhere, runtime + "/sealgate") == 0)
        #expect(throws: BrokerError.self) {
            _ = try ChildEnvironment(
                command: "/bin/true", arguments: ["${TOKEN:file}"], environment: [], secrets: secrets,
                parent: ["XDG_RUNTIME_DIR": runtime], server: "s", workspace: "w")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test func theDirectoriesOfABrokerThatDiedAreRemovedByTheNextLaunch() throws {
        let runtime = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let base = runtime + "/sealgate"
        #expect(mkdir(base, 0o700) == 0)
        // A process id that cannot be running: above the kernel's pid_max limit of 2^22.
        let abandoned = base + "/launch-4194999-abcdef"
        #expect(mkdir(abandoned, 0o700) == 0)
        #expect(FileManager.default.createFile(atPath: abandoned + "/TOKEN", contents: Data(Self.value.utf8)))
        let living = base + "/launch-\(getpid())-ghijkl"
        #expect(mkdir(living, 0o700) == 0)
        let environment = try ChildEnvironment(
            command: "/bin/true", arguments: ["${TOKEN:file}"], environment: [], secrets: secrets,
            parent: ["XDG_RUNTIME_DIR": runtime], server: "s", workspace: "w")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        #expect(FileManager.default.fileExists(atPath: living), "a running broker's directory stays")
        _ = environment
    }
}
