import Foundation
import Vault

/// Writing to the terminal: tables, JSON, warnings, and the one place a token's bytes are written out.
enum Output {
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func warning(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }

    /// Warns when destroyed data could not yet be flushed out of the WAL (another process was reading the vault).
    static func shredding(complete: Bool) {
        guard !complete else { return }
        warning(
            "another process was reading the vault, so the destroyed data may remain in vault.db and vault.db-wal "
                + "until the next checkpoint (any later `secrets rm`, `workspace delete` or `keys rotate`)")
    }

    /// Writes `label` and the token's bytes straight from guarded memory to stdout.
    static func token(_ label: String, _ token: SecretValue) {
        FileHandle.standardOutput.write(Data(label.utf8))
        token.withUnsafeBytes { writeAll($0) }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Writes `text` with the token's bytes (straight from guarded memory) wherever `mark` stands, then a newline.
    static func template(_ text: String, mark: String, token: SecretValue) {
        for (index, piece) in text.components(separatedBy: mark).enumerated() {
            if index > 0 { token.withUnsafeBytes { writeAll($0) } }
            FileHandle.standardOutput.write(Data(piece.utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    private static func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let n = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }

    /// Left-aligned columns separated by two spaces; `rows` may be empty (then `empty` is printed).
    static func table(_ header: [String], _ rows: [[String]], empty: String) {
        guard !rows.isEmpty else {
            line(empty)
            return
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            line(cells.joined(separator: "  "))
        }
    }

    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// `2026-11-21T05:12:00Z`, or `-` when absent.
    static func time(_ seconds: Int64?) -> String {
        guard let seconds else { return "-" }
        return Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }
}
