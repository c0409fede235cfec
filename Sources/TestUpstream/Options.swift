import Foundation

/// The protocol era a connection is served in.
enum Era: String, Sendable {
    /// The 2024-11-05 … 2025-11-25 handshake era: `initialize`, then plain requests.
    case legacy
    /// The 2026-07-28 era: no handshake, every request carries its `_meta` envelope.
    case modern
}

/// What `--era` asks for: one era for the whole process, or let the first request decide.
enum EraMode: String, Sendable {
    case legacy
    case modern
    /// Like the Python and TypeScript SDK servers: the first request picks the era, once.
    case dual

    /// The era fixed at start, or nil when the first request decides.
    var fixedEra: Era? {
        switch self {
        case .legacy: return .legacy
        case .modern: return .modern
        case .dual: return nil
        }
    }
}

/// Command-line options. Hand-parsed because this target deliberately has no dependencies.
struct Options: Sendable {
    var eraMode: EraMode = .dual

    static let usage = """
        usage: sealgate-test-upstream [--era legacy|modern|dual]

        An MCP server over stdio for tests only.
          --era legacy   serve only the initialize handshake era (2024-11-05 … 2025-11-25)
          --era modern   serve only the 2026-07-28 era (server/discover, _meta envelope)
          --era dual     let the first request decide, then keep that era (default)

        """

    /// Parses `arguments` (without the program name); exits 2 on a usage error, 0 for `--help`.
    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--era":
                guard let value = remaining.popFirst() else { fail("--era needs a value") }
                options.eraMode = parseEra(value)
            case _ where argument.hasPrefix("--era="):
                options.eraMode = parseEra(String(argument.dropFirst("--era=".count)))
            case "-h", "--help":
                logStderr(usage)
                exit(0)
            default:
                fail("unknown argument \(argument)")
            }
        }
        return options
    }

    private static func parseEra(_ value: String) -> EraMode {
        guard let mode = EraMode(rawValue: value) else { fail("--era must be legacy, modern or dual, not \(value)") }
        return mode
    }

    private static func fail(_ message: String) -> Never {
        logStderr("sealgate-test-upstream: \(message)\n\(usage)")
        exit(2)
    }
}
