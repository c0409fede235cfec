import Foundation
import Testing

/// `scripts/setup` refuses a Swift older than the code needs (6.2: `Task.immediate`) with a message that says so,
/// before it installs anything, instead of letting the build fail deep inside with errors that do not.
struct SetupScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/setup").path

    /// Runs `scripts/setup` with a `swift` on PATH that prints `version` as its first line.
    static func setup(withSwiftSaying version: String) throws -> SealgateCLI.Result {
        var template = Array("/tmp/sealgate-setup-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CLIError("mkdtemp failed") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fake = directory + "/swift"
        try "#!/bin/sh\necho '\(version)'\necho 'Target: x86_64-unknown-linux-gnu'\n".write(
            toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        return try SealgateCLI.Result.ofScript(
            script, environment: ["PATH": "\(directory):/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"])
    }

    @Test(arguments: [
        "Swift version 6.1.2 (swift-6.1.2-RELEASE)", "Apple Swift version 5.10 (swiftlang-5.10.0.13)",
        "Swift version 6.0 (swift-6.0-RELEASE)",
    ])
    func anOlderSwiftIsRefusedWithWhatToInstall(version: String) throws {
        let result = try Self.setup(withSwiftSaying: version)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("error: Sealgate needs Swift 6.2 or newer"), "\(result.stderr)")
        #expect(result.stderr.contains("install a newer toolchain"))
        #expect(!result.stdout.contains("installing"))  // refused before anything is installed
    }

    /// Newer and development toolchains pass the check (the libraries are installed by then: `scripts/test` ran it).
    @Test(arguments: [
        "Swift version 6.2 (swift-6.2-RELEASE)", "Swift version 6.3-dev (LLVM 1, Swift 2)", "Swift version 7.0",
    ])
    func aNewEnoughSwiftPasses(version: String) throws {
        let result = try Self.setup(withSwiftSaying: version)
        #expect(result.status == 0, "\(result.output)")
    }
}
