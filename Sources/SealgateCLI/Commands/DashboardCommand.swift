import ArgumentParser
import Dashboard
import Foundation
import SocketTrust
import Vault

/// `sealgate dashboard link`: a fresh one-time link to the dashboard of the `serve` running on this vault.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "The web dashboard that `sealgate serve` runs.", subcommands: [Link.self])

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fresh one-time link to the running dashboard (usable once, for five minutes).")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            let home = global.vaultHome
            guard let base = DashboardAddress.read(home: home) else {
                throw VaultError(
                    .notFound, "no dashboard is running on the vault in \(home.path)",
                    remedy: "start `sealgate serve` (without --no-dashboard); it prints a link of its own")
            }
            let link = try global.openVault().createDashboardLink()
            Output.template(
                "\(base)/login?link=\(ClientLinkMark.mark)", mark: ClientLinkMark.mark, token: link)
        }
    }
}

/// Stands for the link secret in the printed address (`Output.template` writes it from guarded memory).
enum ClientLinkMark {
    static let mark = "@@SEALGATE-LINK@@"
}

/// Where the running `serve` has its dashboard: a file beside the vault (mode 0600), written once the dashboard
/// listens and removed when `serve` stops. Whoever can read it can also open the vault; it holds no secret.
enum DashboardAddress {
    static func path(home: VaultHome) -> String { home.path + "/dashboard.url" }

    static func write(_ base: String, home: VaultHome) {
        let path = path(home: home)
        _ = FileManager.default.createFile(
            atPath: path, contents: Data((base + "\n").utf8), attributes: [.posixPermissions: 0o600])
    }

    static func remove(home: VaultHome) {
        unlink(path(home: home))
    }

    /// The base URL, if the file is there and a socket of this user listens at it: after a `serve` killed
    /// outright the file stays, and another user's program on that port must not be sent a link.
    static func read(home: VaultHome) -> String? {
        guard let text = try? String(contentsOfFile: path(home: home), encoding: .utf8) else { return nil }
        let base = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard base.hasPrefix("http://"), let url = URL(string: base), let host = url.host, let port = url.port,
            LoopbackOwners.uidOfListener(address: host, port: port) == getuid()
        else { return nil }
        return base
    }
}
