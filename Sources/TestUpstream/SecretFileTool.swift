import Foundation

/// The tool that reads the file given as `--secret-file PATH`, for tests of `${NAME:file}`: an upstream started with
/// `--secret-file '${TOKEN:file}'` proves it can read the value from the file (`hash`), and tells the test where the
/// file is and how it is protected (`path`, `modes`). Not listed; callable on stdio and HTTP.
extension Tools {
    /// Answers `secret_file` and returns true; returns false for any other tool.
    static func callSecretFileTool(_ name: String, reply: Reply) -> Bool {
        guard name == "secret_file" else { return false }
        guard let path = secretFilePath() else {
            reply.toolText("started without --secret-file", isError: true)
            return true
        }
        guard let contents = FileManager.default.contents(atPath: path) else {
            reply.toolText("cannot read \(path)", isError: true)
            return true
        }
        let directory = (path as NSString).deletingLastPathComponent
        let modes = [path, directory].map { item -> String in
            var status = stat()
            guard stat(item, &status) == 0 else { return "?" }
            return String(status.st_mode & 0o777, radix: 8)
        }
        let hash = SHA256.digest(Array(contents)).map { String(format: "%02x", $0) }.joined()
        reply.toolText("\(hash) \(modes.joined(separator: " ")) \(path)")
        return true
    }

    /// The `--secret-file` argument, as the command line holds it.
    private static func secretFilePath() -> String? {
        guard let bytes = FileManager.default.contents(atPath: "/proc/self/cmdline") else { return nil }
        let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard let flag = arguments.firstIndex(of: "--secret-file"), flag + 1 < arguments.count else { return nil }
        return arguments[flag + 1]
    }
}
