import ArgumentParser
import Foundation
import Vault

struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Register upstream MCP server definitions.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a stdio (--command) or HTTP (--url) server; ${NAME} in args, env, URL and headers is "
                + "resolved from the vault.",
            discussion: """
                In --arg and --env, ${NAME:file} is the path of a file that holds the value instead (mode 0600, \
                in a 0700 directory on tmpfs, removed when the upstream exits). Prefer it, or the environment \
                variable NAME the upstream is given anyway, to ${NAME} in --arg: the command line of a process is \
                visible to every local user (ps, /proc/PID/cmdline).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The server slug: lowercase letters, digits, '-' (no '__').") var slug: String
        @Option(help: "The program to start (stdio).") var command: String?
        @Option(
            name: .customLong("arg"),
            help: "An argument for the program (repeatable; write --arg=-x for one that starts with '-').") var args:
            [String] = []
        @Option(help: "The upstream URL (Streamable HTTP or SSE).") var url: String?
        @Option(name: .customLong("env"), help: "K=V for the server's environment (repeatable).") var env: [String] = []
        @Option(name: .customLong("header"), help: "'Name: value' for HTTP requests (repeatable).")
        var headers: [String] = []
        @Flag(help: "Install in every workspace.") var defaultEnabled = false
        @Flag(help: "One upstream session serves all gateway sessions.") var shared = false
        @Option(
            help:
                "A client registered by hand at the server's OAuth authorization server (its secret: the secret OAUTH_CLIENT_SECRET); `sealgate oauth login` uses it instead of registering one."
        ) var oauthClientId: String?
        @Option(name: .customLong("oauth-scope"), help: "An OAuth scope to ask for at `oauth login` (repeatable).")
        var oauthScopes: [String] = []
        @Option(
            help:
                "The issuer of the authorization server the --oauth-client-id was registered at: its secret goes to no other."
        ) var oauthIssuer: String?

        func validate() throws {
            guard (command == nil) != (url == nil) else {
                throw ValidationError("give exactly one of --command (stdio) or --url (HTTP)")
            }
            if url != nil && !args.isEmpty { throw ValidationError("--arg goes with --command, not --url") }
            if command != nil && !headers.isEmpty { throw ValidationError("--header goes with --url, not --command") }
            if command != nil && (oauthClientId != nil || !oauthScopes.isEmpty || oauthIssuer != nil) {
                throw ValidationError(
                    "--oauth-client-id, --oauth-issuer and --oauth-scope go with --url, not --command")
            }
            if oauthIssuer != nil && oauthClientId == nil {
                throw ValidationError(
                    "--oauth-issuer goes with --oauth-client-id: it says where that client was registered")
            }
            let elsewhere = [("--command", command), ("--url", url)] + headers.map { ("--header", String?.some($0)) }
            for (option, text) in elsewhere where text.map(Self.fileReferences)?.isEmpty == false {
                throw ValidationError("${NAME:file} goes in --arg or --env, not \(option): it names a file's path")
            }
        }

        func run() throws {
            let environment = try env.map { line throws(VaultError) in try ServerDefinition.EnvironmentEntry(line: line)
            }
            let headerList = try headers.map { line throws(VaultError) in try ServerDefinition.Header(line: line) }
            let transport: ServerDefinition.Transport =
                if let command { .stdio(command: command, args: args) } else { .http(url: url!, headers: headerList) }
            let server = ServerDefinition(
                slug: slug, transport: transport, environment: environment, defaultEnabled: defaultEnabled,
                shared: shared,
                oauth: oauthClientId == nil && oauthScopes.isEmpty
                    ? nil : OAuthClientSettings(clientID: oauthClientId, scopes: oauthScopes, issuer: oauthIssuer))
            try global.openVault().addServer(server)
            warnAboutValuesOnTheCommandLine()
            Output.line("Added server \(slug)" + (defaultEnabled ? " (default-enabled in every workspace)" : ""))
            let references = server.secretReferences
            if !references.isEmpty {
                Output.line(
                    "It refers to: \(references.joined(separator: ", ")); set them with "
                        + "`sealgate secrets set \(slug) NAME --workspace WS`")
            }
        }

        /// A `${NAME}` in an argument puts the value on the upstream's command line, which every local user can read.
        private func warnAboutValuesOnTheCommandLine() {
            let arguments = (command.map { [("--command", $0)] } ?? []) + args.map { ("--arg", $0) }
            for (option, text) in arguments {
                let names = Self.valueReferences(text)
                guard !names.isEmpty else { continue }
                let list = names.map { "${\($0)}" }.joined(separator: ", ")
                Output.warning(
                    "\(option) '\(text)' puts the value of \(list) on the upstream's command line, which every local user "
                        + "can read (ps, /proc/PID/cmdline). Pass "
                        + names.map { "'${\($0):file}'" }.joined(separator: ", ")
                        + " instead (the path of a file only this user can read, removed when the upstream exits), or "
                        + "let the upstream read the environment variable \(names.joined(separator: ", ")), which it is "
                        + "given anyway.")
            }
        }

        /// The names referred to as `${NAME}` (the value itself) in `text`.
        static func valueReferences(_ text: String) -> [String] {
            references(text).filter { !$0.hasSuffix(":file") }
        }

        /// The names referred to as `${NAME:file}` in `text`.
        static func fileReferences(_ text: String) -> [String] {
            references(text).filter { $0.hasSuffix(":file") }.map { String($0.dropLast(":file".count)) }
        }

        private static func references(_ text: String) -> [String] {
            var found: [String] = []
            var rest = text[...]
            while let start = rest.range(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
                found.append(String(rest[start.upperBound..<end]))
                rest = rest[rest.index(after: end)...]
            }
            return found
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List server definitions.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let servers = try global.openVault().servers()
            if json {
                try Output.json(servers.map(ServerJSON.init))
                return
            }
            Output.table(
                ["SLUG", "TRANSPORT", "TARGET", "FLAGS"],
                servers.map { ServerJSON($0) }.map { [$0.slug, $0.transport, $0.target, $0.flags] },
                empty: "No servers yet: run `sealgate server add SLUG --command CMD` or `--url URL`.")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a definition, uninstall it everywhere and destroy its secrets in every workspace.")
        @OptionGroup var global: GlobalOptions
        @Argument var slug: String

        func run() throws {
            let (destroyed, complete) = try global.openVault().removeServer(slug)
            Output.line("Removed server \(slug).")
            if !destroyed.isEmpty {
                Output.line("Destroyed its secrets: \(destroyed.joined(separator: ", ")).")
                Output.shredding(complete: complete)
            }
        }
    }
}

struct ServerJSON: Encodable {
    let slug: String
    let transport: String
    let command: String?
    let args: [String]?
    let url: String?
    let headers: [String]?
    let env: [String]
    let defaultEnabled: Bool
    let shared: Bool
    let oauthClientID: String?
    let oauthIssuer: String?
    let oauthScopes: [String]?

    init(_ server: ServerDefinition) {
        slug = server.slug
        switch server.transport {
        case .stdio(let command, let args):
            (transport, self.command, self.args, url, headers) = ("stdio", command, args, nil, nil)
        case .http(let url, let headers):
            (transport, command, args, self.url) = ("http", nil, nil, url)
            self.headers = headers.map { "\($0.name): \($0.value)" }
        }
        env = server.environment.map { "\($0.name)=\($0.value)" }
        defaultEnabled = server.defaultEnabled
        shared = server.shared
        oauthClientID = server.oauth?.clientID
        oauthIssuer = server.oauth?.issuer
        oauthScopes = server.oauth?.scopes
    }

    var target: String { command.map { ([$0] + (args ?? [])).joined(separator: " ") } ?? url ?? "" }
    var flags: String {
        [defaultEnabled ? "default-enabled" : nil, shared ? "shared" : nil].compactMap { $0 }.joined(separator: ",")
    }
}
