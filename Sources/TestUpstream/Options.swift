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

/// How the server is reached.
enum Transport: String, Sendable {
    /// JSON-RPC lines on stdin and stdout.
    case stdio
    /// Streamable HTTP on `/mcp` and legacy HTTP+SSE on `/sse`, bound to 127.0.0.1.
    case http
}

/// Command-line options. Hand-parsed: argument parsing is too small to justify a dependency.
struct Options: Sendable {
    var eraMode: EraMode = .dual
    var transport: Transport = .stdio
    /// The HTTP port; 0 lets the system pick a free one.
    var port: Int?
    /// Put before the HTTP+SSE endpoint path, e.g. `http://127.0.0.2:9` to name another origin.
    var sseEndpointPrefix = ""

    static let usage = """
        usage: sealgate-test-upstream [--era legacy|modern|dual] [--transport stdio|http] [--port N]

        An MCP server for tests only.
          --era legacy       serve only the initialize handshake era (2024-11-05 … 2025-11-25)
          --era modern       serve only the 2026-07-28 era (server/discover, _meta envelope)
          --era dual         stdio: the first request decides, then keeps that era;
                             http: each request or session chooses (default)
          --transport stdio  serve stdin/stdout until stdin ends (default)
          --transport http   serve HTTP on 127.0.0.1 (POST/GET/DELETE /mcp, GET /sse,
                             POST /messages), print "LISTENING <port>", stop on SIGTERM/SIGINT
          --port N           the HTTP port (default 0: any free port)
          --secret-file PATH the file the secret_file tool reads (tests of ${NAME:file})
          --sse-endpoint-prefix P
                             put P before the HTTP+SSE endpoint path (tests: an endpoint on
                             another origin, which clients must refuse)

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
            case "--transport":
                guard let value = remaining.popFirst() else { fail("--transport needs a value") }
                options.transport = parseTransport(value)
            case _ where argument.hasPrefix("--transport="):
                options.transport = parseTransport(String(argument.dropFirst("--transport=".count)))
            case "--port":
                guard let value = remaining.popFirst() else { fail("--port needs a value") }
                options.port = parsePort(value)
            case _ where argument.hasPrefix("--port="):
                options.port = parsePort(String(argument.dropFirst("--port=".count)))
            case "--sse-endpoint-prefix":
                guard let value = remaining.popFirst() else { fail("--sse-endpoint-prefix needs a value") }
                options.sseEndpointPrefix = value
            case "--secret-file":
                // The `secret_file` tool reads it from /proc/self/cmdline, outside main.swift's isolation.
                guard remaining.popFirst() != nil else { fail("--secret-file needs a value") }
            case "-h", "--help":
                logStderr(usage)
                exit(0)
            default:
                fail("unknown argument \(argument)")
            }
        }
        if options.port != nil && options.transport != .http { fail("--port needs --transport http") }
        return options
    }

    private static func parseEra(_ value: String) -> EraMode {
        guard let mode = EraMode(rawValue: value) else { fail("--era must be legacy, modern or dual, not \(value)") }
        return mode
    }

    private static func parseTransport(_ value: String) -> Transport {
        guard let transport = Transport(rawValue: value) else {
            fail("--transport must be stdio or http, not \(value)")
        }
        return transport
    }

    private static func parsePort(_ value: String) -> Int {
        guard let port = Int(value), (0...65535).contains(port) else { fail("--port must be 0…65535, not \(value)") }
        return port
    }

    private static func fail(_ message: String) -> Never {
        logStderr("sealgate-test-upstream: \(message)\n\(usage)")
        exit(2)
    }
}
