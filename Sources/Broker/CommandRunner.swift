import Glibc
import Subprocess
import SystemPackage
import Vault

/// `sealgate run`: a command with one server's environment and secrets, like `op run`. Its output is masked,
/// signals are forwarded, and its exit status becomes ours.
public enum CommandRunner {
    /// Runs `command` and returns the exit status to exit with (128+N for a signal, as shells do).
    public static func run(
        vault: SecretVault, workspace: String, server: String, command: String, arguments: [String]
    ) async throws(BrokerError) -> Int32 {
        let definition: ServerDefinition
        let secrets: [InjectedSecret]
        do throws(VaultError) {
            guard let found = try vault.servers().first(where: { $0.slug == server }) else {
                throw VaultError(.notFound, "no server '\(server)'", remedy: "see `sealgate server list`")
            }
            definition = found
            secrets = try vault.unsealForInjection(server: server, workspace: workspace, purpose: "run \(command)")
        } catch {
            throw BrokerError(error)
        }
        // The server's own env (with ${NAME} resolved) and its secrets; the command is the one given, not the
        // server's, and its arguments are passed as they are.
        let environment = try ChildEnvironment(
            command: command, arguments: [], environment: definition.environment, secrets: secrets,
            server: server, workspace: workspace)
        let executable: String
        do {
            executable = try environment.resolvedExecutable()
        } catch {
            throw BrokerError(error)
        }
        let masker = environment.masker
        let watcher = SignalWatcher([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(environment.rows),
                input: .fileDescriptor(.standardInput, closeAfterSpawningProcess: false), output: .sequence,
                error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                // Readers pass raw chunks to this task, which alone holds the masker.
                let (chunks, sink) = AsyncStream<(Int32, [UInt8])>.makeStream()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await number in watcher.signals { kill(pid, number) }
                    }
                    group.addTask {
                        // A read error only means the output ended early; what was read is already written.
                        try? await withThrowingTaskGroup(of: Void.self) { readers in
                            readers.addTask {
                                for try await chunk in execution.standardOutput {
                                    sink.yield((STDOUT_FILENO, chunk.withUnsafeBytes { Array($0) }))
                                }
                            }
                            readers.addTask {
                                for try await chunk in execution.standardError {
                                    sink.yield((STDERR_FILENO, chunk.withUnsafeBytes { Array($0) }))
                                }
                            }
                            try await readers.waitForAll()
                        }
                        sink.finish()
                    }
                    var lines = LineMasker(masker: masker)
                    for await (fd, bytes) in chunks { lines.feed(bytes, fd: fd) }
                    lines.flush()
                    group.cancelAll()
                }
            }
            switch result.terminationStatus {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        } catch {
            throw BrokerError(.upstreamFailed, "cannot run \(command): \(masker.mask("\(error)"))")
        }
    }

    static func emit(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// Buffers each stream to whole lines (so a secret split across reads is still masked) and writes them masked.
struct LineMasker {
    let masker: SecretMasker
    private var pending: [Int32: [UInt8]] = [:]

    init(masker: SecretMasker) {
        self.masker = masker
    }

    mutating func feed(_ bytes: [UInt8], fd: Int32) {
        var buffer = pending[fd, default: []] + bytes
        while let newline = buffer.firstIndex(of: 0x0A) {
            CommandRunner.emit(masker.mask(Array(buffer[...newline])), to: fd)
            buffer.removeFirst(newline + 1)
        }
        pending[fd] = buffer
    }

    mutating func flush() {
        for (fd, rest) in pending where !rest.isEmpty { CommandRunner.emit(masker.mask(rest), to: fd) }
        pending = [:]
    }
}
