import ArgumentParser
import Broker
import BrokerClient
import BrokerProtocol
import Foundation
import Gateway
import OAuth
import Vault

/// `sealgate`: the vault, the broker and the gateway behind one command.
struct Sealgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealgate",
        abstract: "A sealed secrets vault and credential broker for MCP workspaces.",
        version: Sealgate.version,
        subcommands: [
            InitCommand.self, WorkspaceCommand.self, ServerCommand.self, MCPCommand.self, SecretsCommand.self,
            FeatureSetCommand.self, ClientCommand.self, KeysCommand.self, AuditCommand.self, BrokerCommand.self,
            LeasesCommand.self, RunCommand.self, ServeCommand.self, GatewayCommand.self, ConnectCommand.self,
            AnalyticsCommand.self, ClientConfigCommand.self, OAuthCommand.self, DashboardCommand.self,
        ])

    @OptionGroup var global: GlobalOptions

    /// What `--version` prints: the release, and the vault schema it writes (a vault of a newer schema is refused).
    static var version: String { "sealgate \(Release.version) (vault schema \(SecretVault.schemaVersion))" }
}

/// The entry point: hardens the process, runs the command, and turns every error into `error: …` and an exit code.
@main
enum SealgateMain {
    static func main() async {
        ProcessHardening.apply()
        do {
            var command = try Sealgate.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch let error as BrokerError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(ExitStatus.code(for: error.code))
        } catch let error as BrokerClientError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        } catch let error as VaultError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(ExitStatus.code(for: error.code))
        } catch let error as OAuthFailure {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(ExitStatus.code(for: error.kind))
        } catch {
            let code = Sealgate.exitCode(for: error)
            let message = Sealgate.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Output.line(message) }
                exit(0)
            }
            if !message.isEmpty {
                let text = message.hasPrefix("Error: ") ? "error: " + message.dropFirst(7) : "error: " + message
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
            exit(code.rawValue)
        }
    }
}

/// The exit codes of the contract: 64 usage, 3 not found, 4 refused, 5 integrity, 1 anything else.
enum ExitStatus {
    static func code(for code: FailureCode) -> Int32 {
        switch code {
        case .notFound: 3
        case .refused: 4
        case .integrity: 5
        case .malformedFrame, .unknownMessage: 64
        case .upstreamFailed, .internalError: 1
        }
    }

    static func code(for kind: OAuthFailure.Kind) -> Int32 {
        switch kind {
        case .invalidInput: 64
        case .refusedServer, .invalidGrant, .invalidClient, .authorization: 4
        case .unreachable: 1
        }
    }

    static func code(for code: VaultError.Code) -> Int32 {
        switch code {
        case .invalidInput: 64
        case .notFound: 3
        case .refused, .keyRotated: 4
        case .integrity: 5
        case .internalFailure: 1
        }
    }
}
