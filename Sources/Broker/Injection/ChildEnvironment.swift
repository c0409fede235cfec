import Foundation
import Vault

/// What a stdio upstream (or `sealgate run`) is started with: the broker's allow-listed variables, the server's
/// own, and its secrets, with `${NAME}` resolved in arguments and values, and `${NAME:file}` to the path of a file
/// holding the value (`SecretFiles`, retained by the masker so that they go when the process goes).
///
/// Holds resolved secret values in plain arrays only as long as it takes to hand them to `execve`; not `Sendable`.
struct ChildEnvironment {
    /// The only variables of the broker's own environment a child sees.
    static let allowedFromParent = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME"]

    let executable: String
    /// The command as defined, `${NAME}` unresolved: what an error about the executable names.
    let commandTemplate: String
    let arguments: [String]
    /// `NAME=value\0` rows, as `execve` wants them.
    let rows: [[UInt8]]
    let masker: SecretMasker

    /// Resolves a stdio definition against `secrets`. A `${NAME}` with no secret of that name is an error that says
    /// which secret to set.
    init(
        command: String, arguments: [String], environment: [ServerDefinition.EnvironmentEntry],
        secrets: [InjectedSecret],
        parent: [String: String] = ProcessInfo.processInfo.environment, server: String, workspace: String
    ) throws(BrokerError) {
        let files = SecretFiles(parent: parent)
        let references = SecretReferences(secrets: secrets, server: server, workspace: workspace, files: files)
        // execve takes NUL-terminated strings: a NUL inside a value would cut it short, and swift-subprocess would
        // refuse the row with an error that quotes it. Refuse first, naming only the variable.
        for secret in secrets where secret.value.withUnsafeBytes({ $0.contains(0) }) {
            throw BrokerError(
                .refused, "the value of \(secret.name) contains a NUL byte, which an environment variable cannot hold",
                remedy: "set it again without NUL bytes: `sealgate secrets set \(server) \(secret.name)`")
        }
        var rows: [[UInt8]] = []
        func add(_ name: String, _ value: [UInt8]) {
            rows.removeAll { $0.starts(with: Array("\(name)=".utf8)) }
            rows.append(Array("\(name)=".utf8) + value + [0])
        }
        for name in Self.allowedFromParent { if let value = parent[name] { add(name, Array(value.utf8)) } }
        for entry in environment { add(entry.name, try references.resolve(entry.value)) }
        for secret in secrets { secret.value.withUnsafeBytes { add(secret.name, Array($0)) } }
        self.rows = rows
        let inCommand = SecretReferences(secrets: secrets, server: server, workspace: workspace)
        self.executable = String(decoding: try inCommand.resolve(command), as: UTF8.self)
        self.commandTemplate = command
        self.arguments = try arguments.map { (argument) throws(BrokerError) -> String in
            String(decoding: try references.resolve(argument), as: UTF8.self)
        }
        self.masker = SecretMasker(secrets, retaining: [files])
    }

    /// The absolute path of the executable: as given when it has a '/', else searched in the child's PATH.
    func resolvedExecutable() throws(VaultError) -> String {
        if executable.contains("/") { return executable }
        let path =
            rows.first { $0.starts(with: Array("PATH=".utf8)) }.map {
                String(decoding: $0.dropFirst(5).dropLast(), as: UTF8.self)
            } ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        // The template, never the resolved command: a `${NAME}` in it would put the secret in the message.
        throw VaultError(
            .notFound, "cannot find '\(commandTemplate)' in PATH",
            remedy: "give the server's --command as an absolute path")
    }
}
