import Foundation
import Testing

/// `scripts/install` never builds as root: through sudo it builds as the user who ran sudo and uses root only to
/// install the file; as root without sudo it refuses. It ends by saying to restart a running `serve`. Played with a
/// fake `swift` and `sudo` that record how they were run, on copies of the scripts, so nothing is built or installed
/// outside a temporary directory.
@Suite(.enabled(if: getuid() == 0, "needs root, as the script's refusal and sudo path do"))
struct InstallScriptTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts")

    /// A temporary checkout holding copies of scripts/install and scripts/setup, and fakes on PATH.
    struct Sandbox {
        let directory: String
        var prefix: String { directory + "/prefix" }

        init() throws {
            var template = Array("/tmp/sealgate-install-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw CLIError("mkdtemp failed") }
            directory = String(cString: made)
            let manager = FileManager.default
            for path in ["repo/scripts", "fakes", "built"] {
                try manager.createDirectory(atPath: directory + "/" + path, withIntermediateDirectories: true)
            }
            for script in ["install", "setup"] {
                try manager.copyItem(
                    atPath: InstallScriptTests.scripts.appendingPathComponent(script).path,
                    toPath: directory + "/repo/scripts/" + script)
            }
            try manager.copyItem(atPath: "/bin/true", toPath: directory + "/built/sealgate")  // something to strip
            try fake(
                "swift",
                """
                echo "${VIA_SUDO:+via-sudo }$*" >>\(directory)/swift.log
                case "$*" in
                    --version) echo 'Swift version 6.3.1 (swift-6.3.1-RELEASE)' ;;
                    *--show-bin-path*) echo \(directory)/built ;;
                esac
                """)
            try fake(
                "sudo",
                """
                echo "$*" >>\(directory)/sudo.log
                [ "$1" = -u ] && [ "$3" = -H ] || exit 99
                shift 3
                VIA_SUDO=1 exec "$@"
                """)
        }

        private func fake(_ name: String, _ body: String) throws {
            let path = directory + "/fakes/" + name
            try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }

        func log(_ name: String) -> String {
            (try? String(contentsOfFile: directory + "/" + name + ".log", encoding: .utf8)) ?? ""
        }

        func install(env: [String: String]) throws -> SealgateCLI.Result {
            try SealgateCLI.Result.ofScript(
                directory + "/repo/scripts/install", arguments: [prefix],
                environment: [
                    "PATH": "\(directory)/fakes:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": directory,
                ].merging(env) { $1 })
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func asRootWithoutSudoItRefusesToBuild() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.install(env: [:])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("error: not building as root"), "\(result.stderr)")
        #expect(result.stderr.contains("sudo scripts/install"))
        #expect(!sandbox.log("swift").contains("build"), "\(sandbox.log("swift"))")
        #expect(!FileManager.default.fileExists(atPath: sandbox.prefix + "/bin/sealgate"))
    }

    @Test func throughSudoItBuildsAsTheUserAndInstallsAsRoot() throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let result = try sandbox.install(env: ["SUDO_USER": "nobody"])
        #expect(result.status == 0, "\(result.output)")
        let builds = sandbox.log("swift").split(separator: "\n").filter { $0.contains("build") }
        #expect(builds.count == 2 && builds.allSatisfy { $0.hasPrefix("via-sudo build -c release") }, "\(builds)")
        #expect(sandbox.log("sudo").split(separator: "\n").allSatisfy { $0.hasPrefix("-u nobody -H env PATH=") })
        #expect(FileManager.default.isExecutableFile(atPath: sandbox.prefix + "/bin/sealgate"))
        #expect(result.stdout.contains("restart a running `sealgate serve` now"), "\(result.stdout)")
    }
}
