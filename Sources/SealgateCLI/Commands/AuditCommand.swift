import ArgumentParser
import Vault

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit log, verify it, or print its head to keep elsewhere.",
        subcommands: [Show.self, Verify.self, Head.self], defaultSubcommand: Show.self)

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
            abstract: "Check the hash chain, that every token, grant and secret version has the entry that created "
                + "it, and the head: an edited, inserted or deleted entry or row is an integrity error (exit 5).")
        @OptionGroup var global: GlobalOptions
        @Option(
            help: ArgumentHelp(
                "A head printed earlier by `sealgate audit head`: the log must still reach it unchanged.",
                valueName: "SEQ:HEX"))
        var head: String?

        func validate() throws {
            if let head, AuditCheckpoint(head) == nil {
                throw ValidationError("--head takes what `sealgate audit head` printed: SEQ:HEX (64 hex digits)")
            }
        }

        func run() throws {
            let recorded = head.flatMap { AuditCheckpoint($0) }
            let result = try global.openVault().verifyAudit(against: recorded)
            Output.line("OK: \(result.entries) audit entries, chain intact, head \(result.head).")
            if let recorded { Output.line("The log still reaches the recorded head at entry \(recorded.seq).") }
            if !result.coversState {
                Output.line(
                    "Note: this vault's head predates heads that cover its rows; the next change brings it up to date.")
            }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the log, then print its head (SEQ:HEX) to keep outside the vault for `audit verify "
                + "--head`, which then detects a log or vault cut back to before it.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            Output.line("\(try global.openVault().auditHead())")
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
