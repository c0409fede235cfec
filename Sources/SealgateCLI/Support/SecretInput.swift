import Foundation
import Vault

/// Reads secret values and passphrases without them passing through a `String`.
enum SecretInput {
    static let maximumCount = 1 << 20

    /// The value on standard input: a line typed with echo off on a terminal, else everything up to EOF.
    /// One trailing newline is dropped.
    static func readStandardInput(prompt: String) throws(VaultError) -> SecretValue {
        if isatty(STDIN_FILENO) == 1 {
            guard let value = try readLineWithoutEcho(fd: STDIN_FILENO, prompt: prompt) else {
                throw VaultError(.invalidInput, "no value was typed", remedy: "type the value, or pipe it on stdin")
            }
            return value
        }
        let value = try readAll(fd: STDIN_FILENO, what: "standard input")
        guard !value.isEmpty else {
            throw VaultError(
                .invalidInput, "no value on standard input",
                remedy: "pipe the value in, e.g. `printf %s \"$TOKEN\" | sealgate secrets set SERVER NAME`")
        }
        return value
    }

    /// A passphrase from a file (its one trailing newline dropped).
    static func readFile(_ path: String, what: String) throws(VaultError) -> SecretValue {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw VaultError(.notFound, "cannot read the \(what) file \(path)", remedy: "check the path")
        }
        defer { close(fd) }
        return try readAll(fd: fd, what: path)
    }

    /// Asks on the controlling terminal; nil when there is none.
    static func promptOnTerminal(_ prompt: String) throws(VaultError) -> SecretValue? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return try readLineWithoutEcho(fd: fd, prompt: prompt)
    }

    private static func readLineWithoutEcho(fd: Int32, prompt: String) throws(VaultError) -> SecretValue? {
        let promptFD = fd == STDIN_FILENO ? STDERR_FILENO : fd
        _ = prompt.withCString { write(promptFD, $0, strlen($0)) }
        var saved = termios()
        let haveTerminal = tcgetattr(fd, &saved) == 0
        if haveTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if haveTerminal { tcsetattr(fd, TCSAFLUSH, &saved) }
            _ = write(promptFD, "\n", 1)
        }
        let value = try readAll(fd: fd, what: "the terminal", stopAtNewline: true)
        return value.isEmpty ? nil : value
    }

    /// Reads into guarded memory, byte by byte on a terminal (to stop at the newline) and in blocks otherwise.
    private static func readAll(fd: Int32, what: String, stopAtNewline: Bool = false) throws(VaultError) -> SecretValue
    {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: maximumCount + 1, alignment: 1)
        defer {
            memset(buffer.baseAddress!, 0, buffer.count)
            buffer.deallocate()
        }
        var total = 0
        while total <= maximumCount {
            let want = stopAtNewline ? 1 : maximumCount + 1 - total
            let n = read(fd, buffer.baseAddress! + total, want)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw VaultError(.internalFailure, "cannot read \(what): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            total += n
            if stopAtNewline && buffer[total - 1] == UInt8(ascii: "\n") { break }
        }
        guard total <= maximumCount else {
            throw VaultError(.invalidInput, "the value from \(what) is larger than 1 MiB")
        }
        if total > 0 && buffer[total - 1] == UInt8(ascii: "\n") { total -= 1 }
        return SecretValue(copying: UnsafeRawBufferPointer(rebasing: buffer[0..<total]))
    }
}
