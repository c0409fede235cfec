import Foundation
import TestSupport
import Testing

/// The built `sealgate` binary, run against its own temporary home.
/// `@unchecked Sendable`: `transcript` is only written by `run`, which the concurrent tests do not use.
final class SealgateCLI: @unchecked Sendable {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var output: String { stdout + stderr }
    }

    let home: String
    /// Everything every command printed, to search for leaked secrets at the end.
    private(set) var transcript = ""

    init() throws {
        var template = Array("/tmp/sealgate-cli-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw CLIError("mkdtemp failed") }
        home = String(cString: path) + "/home"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: (home as NSString).deletingLastPathComponent)
    }

    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["SEALGATE_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("sealgate"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sealgate"),
            root.appendingPathComponent(".build/debug/sealgate"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
            ?? candidates.last!.path
    }()

    /// Runs `sealgate ARGS` with `stdin` (nil: /dev/null) and a minimal environment plus `env`.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> Result {
        let process = try start(args, stdin: stdin, env: env)
        process.killIfStillRunning(after: 120)  // a hung command fails its test instead of stalling the run
        let (stdout, stderr) = (process.standardOutput as! Pipe, process.standardError as! Pipe)
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        let ending = try process.waitForExit()
        let result = Result(
            status: ending.status, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self))
        transcript += result.output
        return result
    }

    /// Runs from a concurrent task: waits for the exit, keeps nothing in the transcript, and fails only on a crash
    /// (a status other than success, refusal or stale key).
    func runDetached(_ args: [String]) throws {
        let process = try start(args)
        let ending = try process.waitForExit(within: 120)
        guard !ending.signalled, [0, 4].contains(ending.status) else {
            let stderr = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
            throw CLIError(
                "sealgate \(args.joined(separator: " ")) ended with \(ending.status): "
                    + String(decoding: stderr, as: UTF8.self))
        }
    }

    /// Starts `sealgate ARGS` without waiting (for the kill tests).
    func start(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = args
        var environment = ["PATH": "/usr/bin:/bin", "HOME": home, "SEALGATE_HOME": home, "LANG": "C.UTF-8"]
        environment.merge(env) { $1 }
        process.environment = environment
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(Data(stdin.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return process
    }

    /// Runs and expects exit 0, returning stdout.
    @discardableResult
    func ok(
        _ args: [String], stdin: String? = nil, env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(args, stdin: stdin, env: env)
        #expect(
            result.status == 0, "sealgate \(args.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs and expects `status` with an `error: …` line on stderr; returns stderr.
    @discardableResult
    func fails(
        _ status: Int32, _ args: [String], stdin: String? = nil, env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(args, stdin: stdin, env: env)
        #expect(
            result.status == status, "sealgate \(args.joined(separator: " ")): \(result.output)",
            sourceLocation: sourceLocation)
        let errorLine = result.stderr.split(separator: "\n").contains { $0.hasPrefix("error: ") }
        #expect(errorLine, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        return result.stderr
    }

    /// The token printed on a `Token: mwt_…` line.
    static func token(in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("Token: mwt_") }.map { String($0.dropFirst(7)) }
    }

    /// Every byte of the vault's files.
    func vaultFileBytes() throws -> Data {
        try FileManager.default.contentsOfDirectory(atPath: home).reduce(into: Data()) { data, name in
            data.append(try Data(contentsOf: URL(fileURLWithPath: home + "/" + name)))
        }
    }

    func json(_ args: [String]) throws -> Any {
        let out = try ok(args)
        return try JSONSerialization.jsonObject(with: Data(out.utf8))
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
