import Foundation
import Testing

/// `server remove` through the built binary: a server added again under the same slug starts without secrets.
struct ServerReplacementTests {
    @Test func aServerAddedAgainDoesNotInheritTheRemovedOnesSecrets() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "svc", "--command", "/bin/true", "--env", "AUTH=${API_KEY}"])
        try cli.ok(["mcp", "install", "svc"])
        try cli.ok(["secrets", "set", "svc", "API_KEY"], stdin: "old-definitions-key")
        let printEnvironment = ["run", "--server", "svc", "--", "/bin/sh", "-c", "echo \"key=${API_KEY:-unset}\""]
        #expect(try cli.ok(printEnvironment).contains("key=[REDACTED:API_KEY]"))

        let removed = try cli.ok(["server", "remove", "svc"])
        #expect(removed.contains("Destroyed its secrets: eng/API_KEY"), "\(removed)")
        try cli.ok(["server", "add", "svc", "--command", "/bin/echo", "--env", "AUTH=${API_KEY}"])
        try cli.ok(["mcp", "install", "svc"])

        // The new definition refers to ${API_KEY} too, and finds it unset: the old value is gone, not inherited.
        let error = try cli.fails(3, printEnvironment)
        #expect(error.contains("which is not set in 'eng'"), "\(error)")
        #expect(!(try cli.ok(["secrets", "list"]).contains("API_KEY")))
        try cli.fails(3, ["secrets", "history", "svc", "API_KEY"])
        let audit = try cli.ok(["audit"])
        #expect(audit.contains("destroyed secrets: eng/API_KEY"))
        #expect(try cli.ok(["audit", "verify"]).contains("chain intact"))
    }
}
