import Foundation
import TestSupport
import Testing

/// A process that holds key material never writes a core dump.
struct ProcessHardeningTests {
    @Test func theCLIRunsWithCoreDumpsOff() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        try cli.ok(["workspace", "create", "Eng"])
        try cli.ok(["server", "add", "github", "--command", "gh"])
        // `secrets set` waits on stdin after unlocking the vault: look at its limits while it waits.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SealgateCLI.binary)
        process.arguments = ["secrets", "set", "github", "TOKEN"]
        process.environment = ["SEALGATE_HOME": cli.home, "PATH": "/usr/bin:/bin"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            _ = try? process.waitForExit()
        }
        // The limits change when `main` starts: poll /proc until they do, for at most 5 s.
        var coreLine = ""
        let deadline = Date().addingTimeInterval(5)
        repeat {
            let limits = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
            coreLine = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") }.map(String.init) ?? ""
            if coreLine.split(separator: " ")[4...5] == ["0", "0"] { break }
            usleep(10_000)
        } while Date() < deadline
        #expect(coreLine.split(separator: " ")[4...5] == ["0", "0"], "\(coreLine)")
        input.fileHandleForWriting.write(Data("value".utf8))
    }
}
