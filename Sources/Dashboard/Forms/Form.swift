import Foundation
import Glibc
import Vault

/// A submitted `application/x-www-form-urlencoded` body, kept as bytes: a secret's value goes from the request
/// body into guarded memory (`secret(_:)`) without becoming a `String`, and every decoded byte is wiped when the
/// form is released.
final class Form {
    private var fields: [String: [UInt8]] = [:]

    /// Parses `body`; nil when it is not a form (a bad escape, a name that is not UTF-8). A repeated name keeps its
    /// last value.
    init?(body: [UInt8]) {
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            guard var nameBytes = Self.decode(parts[0]), let name = String(validating: nameBytes, as: UTF8.self)
            else { return nil }
            Self.wipe(&nameBytes)
            guard let value = Self.decode(parts.count == 2 ? parts[1] : []) else { return nil }
            if var previous = fields[name] { Self.wipe(&previous) }
            fields[name] = value
        }
    }

    deinit {
        for name in fields.keys { Self.wipe(&fields[name]!) }
    }

    /// A text field, trimmed of surrounding white space; nil when absent or not UTF-8.
    func text(_ name: String) -> String? {
        fields[name].flatMap { String(validating: $0, as: UTF8.self) }?.trimmingWhiteSpace
    }

    /// A text field that must be there and not empty.
    func required(_ name: String, what: String) throws(DashboardFailure) -> String {
        guard let value = text(name), !value.isEmpty else { throw DashboardFailure.invalid("\(what) is required") }
        return value
    }

    func isChecked(_ name: String) -> Bool { fields[name] != nil }

    /// A secret field's value in guarded memory (nil when absent or empty); the form's copy is wiped at once.
    func secret(_ name: String) -> SecretValue? {
        guard var bytes = fields.removeValue(forKey: name) else { return nil }
        defer { Self.wipe(&bytes) }
        guard !bytes.isEmpty else { return nil }
        return bytes.withUnsafeBytes { SecretValue(copying: $0) }
    }

    /// `+` as a space, `%XX` as its byte.
    private static func decode(_ encoded: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(encoded.count)
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let byte = encoded[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < encoded.endIndex, let high = hexValue(encoded[index + 1]),
                    let low = hexValue(encoded[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { explicit_bzero(base, buffer.count) }
        }
    }
}

extension String {
    var trimmingWhiteSpace: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
