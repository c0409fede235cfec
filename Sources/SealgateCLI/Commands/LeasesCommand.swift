import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation

struct LeasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases", abstract: "List or revoke the running broker's leases.",
        subcommands: [List.self, Revoke.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List open leases.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The broker socket (default: HOME/broker.sock).") var socket: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let client = try BlockingBrokerClient(path: socket ?? global.vaultHome.path + "/broker.sock")
            try client.send(.listLeases(ref: "cli"))
            let leases = try client.receive { message -> [LeaseInfo]? in
                if case .leases(_, let leases) = message { return leases }
                return nil
            }
            if json {
                try Output.json(leases.map(LeaseJSON.init))
                return
            }
            Output.table(
                ["LEASE", "WORKSPACE", "SERVER", "SESSION", "EXPIRES"],
                leases.map { [$0.id, $0.workspace, $0.server, $0.session, Output.time($0.expiresAt / 1000)] },
                empty: "No open leases.")
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a lease: its channel closes and the upstream started under it stops.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(help: "The broker socket (default: HOME/broker.sock).") var socket: String?

        func run() throws {
            let client = try BlockingBrokerClient(path: socket ?? global.vaultHome.path + "/broker.sock")
            try client.send(.revokeLease(ref: "cli", lease: id))
            let answer = try client.receive { message -> BrokerMessage? in
                switch message {
                case .revoked, .failure: return message
                default: return nil
                }
            }
            if case .failure(_, _, let code, let message) = answer {
                FileHandle.standardError.write(Data("error: \(message)\n".utf8))
                throw ExitCode(ExitStatus.code(for: code))
            }
            Output.line("Revoked lease \(id).")
        }
    }
}

private struct LeaseJSON: Encodable {
    let id: String
    let workspace: String
    let server: String
    let session: String
    let expiresAt: String

    init(_ lease: LeaseInfo) {
        (id, workspace, server, session) = (lease.id, lease.workspace, lease.server, lease.session)
        expiresAt = Output.time(lease.expiresAt / 1000)
    }
}
