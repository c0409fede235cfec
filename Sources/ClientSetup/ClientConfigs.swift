import Foundation

/// Ready-to-paste configurations for the MCP clients people use, each in that client's own format, for one
/// workspace endpoint; none holds the token, which each client takes from its environment or a prompt.
///
/// The text is built around `tokenMark` (in the one line that exports the token) and the token is written in its
/// place as it is shown (the CLI's `Output.template` writes it from guarded memory to stdout without making it a
/// `String`). Shared by the CLI and the dashboard.
public enum ClientConfigs {
    /// Stands for the token in the text (a slug cannot hold it, and a URL that did would only be printed oddly).
    public static let tokenMark = "@@SEALGATE-TOKEN@@"

    /// VS Code's prompt for the token: asked once, kept in VS Code's secret storage, shown as dots.
    public static let vsCodeInput = "sealgate-token"

    /// The three configurations, with headings that say where each goes, after the line that puts the token in the
    /// shell's environment. Only that line holds the token (as `tokenMark`): the configs name where each client
    /// finds it, so a project file (`.vscode/mcp.json`, `.cursor/mcp.json`) can be committed and shared, and a
    /// command line keeps it out of the shell's history.
    public static func text(name: String, url: String) -> String {
        let vsCode: [String: Any] = [
            "inputs": [
                [
                    "type": "promptString", "id": vsCodeInput, "password": true,
                    "description": "Sealgate token for \(name)",
                ]
            ],
            "servers": [
                name: ["type": "http", "url": url, "headers": ["Authorization": "Bearer ${input:\(vsCodeInput)}"]]
            ],
        ]
        let cursor: [String: Any] = [
            "mcpServers": [name: ["url": url, "headers": ["Authorization": "Bearer ${env:SEALGATE_TOKEN}"]]]
        ]
        return [
            "First, in the shell you run `claude` or start Cursor from (this line holds the token: type or paste it "
                + "there, never save it in a shared file, a script or a dotfile you commit):",
            "  export SEALGATE_TOKEN=\(tokenMark)",
            "",
            "Claude Code (run in that shell; the shell puts the token in, so it stays out of your history, and "
                + "Claude Code keeps it in its own settings):",
            "  claude mcp add --transport http \(shellWord(name)) \(shellWord(url)) "
                + "--header \"Authorization: Bearer $SEALGATE_TOKEN\"",
            "",
            "VS Code (.vscode/mcp.json in the project; merge into \"inputs\" and \"servers\" if the file exists; "
                + "VS Code asks for the token once and keeps it in its secret storage):",
            json(vsCode),
            "",
            "Cursor (~/.cursor/mcp.json, or .cursor/mcp.json in the project; merge into \"mcpServers\"; Cursor reads "
                + "SEALGATE_TOKEN from its environment, so start it from that shell):",
            json(cursor),
        ].joined(separator: "\n")
    }

    /// Pretty JSON with sorted keys; only strings, booleans, arrays and dictionaries go in, so it cannot fail.
    private static func json(_ value: [String: Any]) -> String {
        let data = try? JSONSerialization.data(
            withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data ?? Data(), as: UTF8.self)
    }

    /// `word` as one shell word: as is when every character is safe unquoted, else in single quotes.
    public static func shellWord(_ word: String) -> String {
        let safe = word.unicodeScalars.allSatisfy {
            ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
                || "-_./:@%+=,".unicodeScalars
                    .contains($0)
        }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
