import Foundation
import Vault

/// Ready-to-paste configurations for the MCP clients people use, each in that client's own format, for one
/// workspace endpoint and bearer token.
///
/// The text is built around `tokenMark` and the token is written in its place by `Output.template`, so a freshly
/// issued token goes from guarded memory to stdout without becoming a `String`.
enum ClientConfigs {
    /// Stands for the token in the text (a slug cannot hold it, and a URL that did would only be printed oddly).
    static let tokenMark = "@@SEALGATE-TOKEN@@"

    /// The three configurations, with headings that say where each goes.
    static func text(name: String, url: String) -> String {
        let headers: [String: String] = ["Authorization": "Bearer \(tokenMark)"]
        let vsCode: [String: Any] = ["servers": [name: ["type": "http", "url": url, "headers": headers]]]
        let cursor: [String: Any] = ["mcpServers": [name: ["url": url, "headers": headers]]]
        return [
            "Claude Code (run in a terminal):",
            "  claude mcp add --transport http \(shellWord(name)) \(shellWord(url)) "
                + "--header \"Authorization: Bearer \(tokenMark)\"",
            "",
            "VS Code (.vscode/mcp.json in the project; merge into \"servers\" if the file exists):",
            json(vsCode),
            "",
            "Cursor (~/.cursor/mcp.json, or .cursor/mcp.json in the project; merge into \"mcpServers\"):",
            json(cursor),
        ].joined(separator: "\n")
    }

    /// Pretty JSON with sorted keys; only strings and dictionaries go in, so it cannot fail.
    private static func json(_ value: [String: Any]) -> String {
        let data = try? JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    /// `word` as one shell word: as is when every character is safe unquoted, else in single quotes.
    static func shellWord(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "-_./:@%+=,".unicodeScalars
                    .contains($0)
        }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
