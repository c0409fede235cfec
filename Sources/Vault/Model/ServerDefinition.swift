import Foundation

/// A registry entry: how to reach one upstream MCP server. Holds `${NAME}` references, never secret values.
public struct ServerDefinition: Sendable, Equatable {
    /// How the broker talks to the server.
    public enum Transport: Sendable, Equatable {
        /// A child process speaking MCP on stdin/stdout.
        case stdio(command: String, args: [String])
        /// A Streamable HTTP or legacy SSE endpoint.
        case http(url: String, headers: [Header])
    }

    /// One HTTP header, order kept as the user gave it.
    public struct Header: Sendable, Equatable {
        public let name: String
        public let value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// From `Name: value`, as a user writes it.
        public init(line: String) throws(VaultError) {
            guard let colon = line.firstIndex(of: ":") else {
                // The line is not repeated: pasted without its ':', it may be a credential.
                throw VaultError(.invalidInput, "a header has no ':'", remedy: "write each header as 'Name: value'")
            }
            self.init(
                name: line[..<colon].trimmingCharacters(in: .whitespaces),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    /// One environment variable, order kept as the user gave it.
    public struct EnvironmentEntry: Sendable, Equatable {
        public let name: String
        public let value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// From `K=V`, as a user writes it.
        public init(line: String) throws(VaultError) {
            guard let eq = line.firstIndex(of: "=") else {
                // The line is not repeated: pasted without its '=', it may be a credential.
                throw VaultError(.invalidInput, "an environment entry has no '='", remedy: "write each entry as K=V")
            }
            self.init(name: String(line[..<eq]), value: String(line[line.index(after: eq)...]))
        }
    }

    public let slug: String
    public let transport: Transport
    public let environment: [EnvironmentEntry]
    /// Installed in every workspace without `mcp install`.
    public let defaultEnabled: Bool
    /// One upstream session serves every gateway session, instead of one each.
    public let shared: Bool
    /// How `sealgate oauth login` reaches the server's authorization server: a pre-registered client and the scopes
    /// to ask for. Nil for a server that uses dynamic registration (or no OAuth at all).
    public let oauth: OAuthClientSettings?

    public init(
        slug: String, transport: Transport, environment: [EnvironmentEntry] = [], defaultEnabled: Bool = false,
        shared: Bool = false, oauth: OAuthClientSettings? = nil
    ) {
        self.slug = slug
        self.transport = transport
        self.environment = environment
        self.defaultEnabled = defaultEnabled
        self.shared = shared
        self.oauth = oauth
    }

    /// Every `${NAME}` this definition refers to, without duplicates, in order.
    public var secretReferences: [String] {
        var strings = environment.map(\.value)
        switch transport {
        case .stdio(let command, let args): strings += [command] + args
        case .http(let url, let headers): strings += [url] + headers.map(\.value)
        }
        var seen = Set<String>()
        return strings.flatMap(\.secretReferences).filter { seen.insert($0).inserted }
    }

    /// Checks everything a user could have typed wrong, with a message naming the culprit.
    public func validate() throws(VaultError) {
        try Slug.validate(slug, what: "server slug")
        guard !slug.contains("__") else {
            throw VaultError(
                .invalidInput, "invalid server slug '\(slug)': '__' separates server and tool names",
                remedy: "use single dashes instead")
        }
        switch transport {
        case .stdio(let command, _):
            guard !command.isEmpty else {
                throw VaultError(.invalidInput, "the server command is empty", remedy: "pass --command PROGRAM")
            }
        case .http(let url, let headers):
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw VaultError(
                    .invalidInput, "invalid server URL '\(url.prefix(200))'",
                    remedy: "give an http:// or https:// URL")
            }
            for header in headers where !isToken(header.name) {
                throw VaultError(
                    .invalidInput, "invalid header name '\(header.name.prefix(80))'",
                    remedy: "write headers as 'Name: value'")
            }
        }
        for entry in environment {
            try Slug.validateVariableName(entry.name, what: "environment variable name")
        }
        if let oauth {
            guard case .http = transport else {
                throw VaultError(
                    .invalidInput, "OAuth settings are for HTTP servers; '\(slug)' is a stdio server",
                    remedy: "drop --oauth-client-id and --oauth-scope, or give --url")
            }
            try oauth.validate()
        }
        for reference in secretReferences where !Slug.isVariableName(reference) {
            throw VaultError(
                .invalidInput, "invalid secret reference '${\(reference.prefix(80))}'",
                remedy: "references look like ${GITHUB_TOKEN}: letters, digits and '_'")
        }
    }

    private func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }
    }
}
