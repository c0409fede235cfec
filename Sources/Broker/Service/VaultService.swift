import Analytics
import BrokerProtocol
import MCPWire
import Vault

/// The broker's one handle on the vault. An actor so that the non-`Sendable` `SecretVault` (and the keys it holds)
/// never leaves one isolation domain; reopens itself when another process rotated the master key.
actor VaultService {
    private var vault: SecretVault
    private let reopen: () throws(VaultError) -> SecretVault

    init(open: sending @escaping () throws(VaultError) -> SecretVault) throws(VaultError) {
        self.vault = try open()
        self.reopen = open
    }

    /// Runs `body` against the vault, reopening once if the handle went stale.
    private func withVault<T>(_ body: (SecretVault) throws(VaultError) -> T) throws(VaultError) -> T {
        do {
            return try body(vault)
        } catch  where error.code == .keyRotated {
            vault = try reopen()
            return try body(vault)
        }
    }

    func generation() throws(VaultError) -> Int64 {
        try withVault { vault throws(VaultError) in try vault.generation() }
    }

    func configuration() throws(VaultError) -> VaultConfiguration {
        try withVault { vault throws(VaultError) in try vault.configuration() }
    }

    func fingerprint(server: String, workspace: String) throws(VaultError) -> String {
        try withVault { vault throws(VaultError) in try vault.injectionFingerprint(server: server, workspace: workspace)
        }
    }

    /// Adds the gateway's tool-call counts to the analytics; best effort like `record`, for the same reason.
    func recordUsage(_ records: [UsageRecord]) {
        _ = try? withVault { vault throws(VaultError) in try vault.recordUsage(records) }
    }

    func record(_ event: String, workspace: String?, target: String?, detail: String?) {
        // Best effort on purpose: a lease event that cannot be audited (vault busy) must not take a channel down.
        _ = try? withVault { vault throws(VaultError) in
            try vault.recordEvent(event, workspace: workspace, target: target, detail: detail)
        }
    }

    /// The installed server definition, or nil when the server is not installed in the workspace.
    func installedServer(_ server: String, workspace: String) throws(VaultError) -> ServerDefinition? {
        try withVault { vault throws(VaultError) in
            try vault.installedServers(workspace: workspace).1.first { $0.definition.slug == server }?.definition
        }
    }

    /// Everything needed to start a stdio upstream, decrypted and resolved, with the masker for its output. The
    /// masker goes to the upstream, which masks every line on its event loop without a hop back here.
    func launchPlan(server: String, workspace: String, session: String) throws(BrokerError) -> StdioLaunch {
        let (definition, fingerprint, secrets) = try injection(server: server, workspace: workspace, session: session)
        guard case .stdio(let command, let args) = definition.transport else {
            throw BrokerError(.refused, "server '\(server)' is not a stdio server")
        }
        return try Self.maskingErrors(of: secrets) { () throws(BrokerError) -> StdioLaunch in
            let environment = try ChildEnvironment(
                command: command, arguments: args, environment: definition.environment, secrets: secrets,
                server: server, workspace: workspace)
            let executable: String
            do throws(VaultError) {
                executable = try environment.resolvedExecutable()
            } catch {
                throw BrokerError(error)
            }
            return StdioLaunch(
                plan: LaunchPlan(
                    executable: executable, arguments: environment.arguments, environmentRows: environment.rows,
                    fingerprint: fingerprint),
                masker: environment.masker)
        }
    }

    /// What an HTTP upstream is reached with: the URL and headers with `${NAME}` resolved, and the masker id.
    ///
    /// `replacing`: the masker of the plan this one follows for the same session, after an OAuth refresh. The new
    /// masker takes its place under the same id, so the streams opened under the old plan mask the new tokens too,
    /// and it keeps the old plan's OAuth values, so an answer to a request sent with the old token is masked.
    func httpPlan(
        server: String, workspace: String, session: String, replacing: Int? = nil
    ) throws(BrokerError) -> HTTPPlan {
        let (definition, fingerprint, secrets) = try injection(server: server, workspace: workspace, session: session)
        guard case .http(let url, let headers) = definition.transport else {
            throw BrokerError(.refused, "server '\(server)' is not an HTTP server")
        }
        let grant: OAuthGrant?
        do throws(VaultError) {
            grant = try vault.oauthGrant(server: server, workspace: workspace)
        } catch {
            throw BrokerError(error)
        }
        let credentials = grant.map(OAuthCredentials.init)
        let previous = replacing.flatMap { oauthMasked[$0] } ?? []
        let resolved = try Self.maskingErrors(of: secrets) { () throws(BrokerError) -> ResolvedHTTPTarget in
            try ResolvedHTTPTarget(
                url: url, headers: headers, secrets: secrets, server: server, workspace: workspace,
                bearer: credentials?.bearer, alsoMasking: previous)
        }
        let maskerID: Int
        // In place only for the same injection: a plan with other secrets gets a masker of its own, and the old one
        // stays for the streams opened under it.
        if let replacing, maskers[replacing] != nil, maskerFingerprints[replacing] == fingerprint {
            maskers[replacing] = resolved.masker
            maskerID = replacing
        } else {
            maskerID = keep(resolved.masker)
        }
        oauthMasked[maskerID] = credentials?.bearer.masked
        maskerFingerprints[maskerID] = fingerprint
        return HTTPPlan(
            url: resolved.url, headers: resolved.headers, fingerprint: fingerprint, maskerID: maskerID,
            oauth: credentials?.state)
    }

    /// A pre-registered OAuth client's secret (the server's secret `OAUTH_CLIENT_SECRET`), for a refresh.
    func clientSecret(server: String, workspace: String) throws(VaultError) -> String {
        try withVault { vault throws(VaultError) in
            try vault.unsealSecret(server: server, name: OAuthClientSettings.clientSecretName, workspace: workspace)
                .withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The OAuth grant of (workspace, server), for a refresh. Not audited as a use: the refresh is.
    func oauthGrant(server: String, workspace: String) throws(VaultError) -> OAuthGrant? {
        try withVault { vault throws(VaultError) in try vault.oauthGrant(server: server, workspace: workspace) }
    }

    /// Stores refreshed tokens over the grant they came from; nil when that grant was replaced meanwhile.
    func replaceOAuthTokens(
        _ tokens: OAuthTokens, of grant: OAuthGrant, server: String, workspace: String
    ) throws(VaultError) -> OAuthGrant? {
        try withVault { vault throws(VaultError) in
            try vault.replaceOAuthTokens(tokens, of: grant, server: server, workspace: workspace)
        }
    }

    /// Runs a resolution of `secrets` into a launch or a plan, with any error it throws masked: the messages are
    /// written to name templates and variables, never values, and this holds even for one that slips through.
    private static func maskingErrors<T>(
        of secrets: [InjectedSecret], _ body: () throws(BrokerError) -> T
    ) throws(BrokerError) -> T {
        do {
            return try body()
        } catch {
            let masker = SecretMasker(secrets)
            throw BrokerError(error.code, masker.mask(error.message), remedy: error.remedy.map { masker.mask($0) })
        }
    }

    /// The installed definition, its injection fingerprint and its decrypted secrets (audited as an injection).
    private func injection(
        server: String, workspace: String, session: String
    ) throws(BrokerError) -> (ServerDefinition, String, [InjectedSecret]) {
        do throws(VaultError) {
            if try vault.isStale() { vault = try reopen() }
            guard let definition = try installedServer(server, workspace: workspace) else {
                throw VaultError(.notFound, "server '\(server)' is not installed in '\(workspace)'")
            }
            let fingerprint = try vault.injectionFingerprint(server: server, workspace: workspace)
            let secrets = try vault.unsealForInjection(
                server: server, workspace: workspace, purpose: "session \(session)")
            return (definition, fingerprint, secrets)
        } catch {
            throw BrokerError(error)
        }
    }

    /// Checks a presented token; nil when it is unknown, expired or revoked (the vault audits the failed use).
    func authenticate(_ token: String) -> AuthenticatedToken? {
        let value = SecretValue(unsafeFromString: token)
        // `try?` fails closed: any vault error refuses the token, and a client whose grants cannot be read gets none.
        guard
            let (info, hash) = try? withVault({ vault throws(VaultError) in
                try vault.authenticateListed(token: value)
            })
        else { return nil }
        var grants: [String: [String]] = [:]
        if info.kind == .client,
            // By id, not name: a revoked client's name may belong to a newer client with other grants.
            let client = try? withVault({ vault throws(VaultError) in try vault.clients() }).first(where: {
                $0.token.id == info.id
            })
        {
            for grant in client.grants { grants[grant.workspace] = grant.featureSets }
        }
        return AuthenticatedToken(
            kind: info.kind.rawValue, name: info.name, workspace: info.workspace, featureSets: info.featureSets,
            grants: grants, expiresAt: info.expiresAt.map { $0 * 1000 }, hash: hash)
    }

    private func keep(_ masker: SecretMasker) -> Int {
        nextMaskerID += 1
        maskers[nextMaskerID] = masker
        return nextMaskerID
    }

    private var maskers: [Int: SecretMasker] = [:]
    /// The OAuth values each HTTP plan's masker was made with (see `httpPlan(replacing:)`).
    private var oauthMasked: [Int: [InjectedSecret]] = [:]
    private var maskerFingerprints: [Int: String] = [:]
    private var nextMaskerID = 0

    /// Masks what an upstream sent back, with the masker made when it was launched. Fails closed: nil when that
    /// masker is gone, and the caller drops the message.
    func mask(_ message: JSONRPCMessage, with maskerID: Int) -> JSONRPCMessage? {
        maskers[maskerID]?.mask(message)
    }

    func mask(_ line: String, with maskerID: Int) -> String? {
        maskers[maskerID]?.mask(line)
    }

    /// Forgets a masker once its upstream process is gone.
    func dropMasker(_ maskerID: Int) {
        maskers[maskerID] = nil
        oauthMasked[maskerID] = nil
        maskerFingerprints[maskerID] = nil
    }
}

/// A resolved HTTP upstream. Holds secret values as the HTTP client needs them (headers, URL): the upstream
/// keeps it only while it is in use and drops it when it stops or its injection changes.
struct HTTPPlan: Sendable {
    let url: String
    let headers: [(name: String, value: String)]
    let fingerprint: String
    let maskerID: Int
    /// The OAuth grant the `Authorization` header came from; nil when the server has none.
    let oauth: OAuthPlanState?
}

/// A resolved stdio upstream start. Holds secret values as `execve` needs them (the `NAME=value` rows and any
/// resolved arguments) in plain arrays that cannot be wiped; they live as long as the process's run (swift-subprocess
/// keeps its configuration until the child exits), which the threat model records.
struct LaunchPlan: Sendable {
    let executable: String
    let arguments: [String]
    let environmentRows: [[UInt8]]
    let fingerprint: String
}

/// A launch plan and the masker for what the process sends back, handed once from the vault to the upstream.
struct StdioLaunch: Sendable {
    let plan: LaunchPlan
    let masker: SecretMasker
}
