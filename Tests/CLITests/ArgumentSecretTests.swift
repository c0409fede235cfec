import Foundation
import Testing

/// `${NAME}` in `--arg` puts the value on the upstream's command line, which every local user reads in `ps`:
/// `server add` says so, and `${NAME:file}` keeps it off.
struct ArgumentSecretTests {
    func vault() throws -> SealgateCLI {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        return cli
    }

    @Test func aValueInAnArgumentIsAddedWithAWarningThatSaysWhatToDoInstead() throws {
        let cli = try vault()
        let result = try cli.run(["server", "add", "gh", "--command", "gh-mcp", "--arg=--token=${GH_TOKEN}"])
        #expect(result.status == 0, "\(result.output)")
        let warning = result.stderr.split(separator: "\n").first { $0.hasPrefix("warning: ") }.map(String.init) ?? ""
        #expect(warning.contains("--arg '--token=${GH_TOKEN}'"), "names the argument: \(result.stderr)")
        #expect(warning.contains("command line") && warning.contains("/proc/PID/cmdline"), "says why")
        #expect(warning.contains("${GH_TOKEN:file}") && warning.contains("environment variable GH_TOKEN"), "and how")
        #expect(!result.stdout.contains("warning"), "the warning goes to stderr")
    }

    @Test func theFileFormAndTheEnvironmentAddWithoutAWarning() throws {
        let cli = try vault()
        for args in [["--arg=--token-file", "--arg=${GH_TOKEN:file}"], ["--arg=serve"]] {
            let result = try cli.run(
                ["server", "add", "gh\(args.count)", "--command", "gh-mcp", "--env", "GH=${GH_TOKEN}"] + args)
            #expect(result.status == 0 && !result.stderr.contains("warning"), "\(args): \(result.output)")
        }
        let listed = try cli.ok(["server", "list", "--json"])
        #expect(listed.contains("${GH_TOKEN:file}"))
    }

    @Test func theFileFormIsRefusedWhereAPathMakesNoSense() throws {
        let cli = try vault()
        try cli.fails(64, ["server", "add", "h", "--url", "https://h/mcp", "--header", "Authorization: ${T:file}"])
        try cli.fails(64, ["server", "add", "h", "--url", "https://h/${T:file}"])
        try cli.fails(64, ["server", "add", "h", "--command", "${T:file}"])
        try cli.fails(64, ["server", "add", "h", "--command", "x", "--arg", "${T:nofile}"])
    }
}
