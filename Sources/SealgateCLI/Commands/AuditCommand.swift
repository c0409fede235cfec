import ArgumentParser
import Vault

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit log, or verify its hash chain.",
        subcommands: [Show.self, Verify.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show audit entries, oldest first.")
        @OptionGroup var global: GlobalOptions
        @Option var workspace: String?
        @Option(help: "Only the newest N entries.") var last: Int?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let entries = try global.openVault().auditEntries(workspace: workspace, limit: last)
            if json {
                try Output.json(entries.map(AuditJSON.init))
                return
            }
            Output.table(
                ["SEQ", "TIME", "ACTOR", "EVENT", "WORKSPACE", "TARGET", "DETAIL"],
                entries.map {
                    [
                        "\($0.seq)", Output.time($0.at), $0.actor, $0.event, $0.workspace ?? "-", $0.target ?? "-",
                        $0.detail ?? "",
                    ]
                }, empty: "No audit entries.")
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain: an edited, inserted or deleted entry is an integrity error (exit 5).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let count = try global.openVault().verifyAudit()
            Output.line("OK: \(count) audit entries, chain intact.")
        }
    }
}

private struct AuditJSON: Encodable {
    let seq: Int64
    let at: String
    let actor: String
    let event: String
    let workspace: String?
    let target: String?
    let detail: String?

    init(_ entry: AuditEntry) {
        (seq, actor, event, workspace, target, detail) = (
            entry.seq, entry.actor, entry.event, entry.workspace, entry.target, entry.detail
        )
        at = Output.time(entry.at)
    }
}
