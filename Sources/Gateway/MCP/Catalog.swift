import BrokerProtocol
import MCPWire
import Policy

/// The merged view of a workspace's servers: their lists under namespaced names, filtered by the token's
/// FeatureSets, and the way back from a namespaced name or a resource URI to the server that owns it.
struct Catalog: Sendable {
    /// Pages fetched from one upstream list at most (a server that keeps returning cursors is cut off).
    static let maximumPages = 100

    let caller: UpstreamCaller

    /// A merged list, and the servers that could not contribute to it.
    struct Merged: Sendable {
        var items: [JSONValue] = []
        var unavailable: [(server: String, error: JSONRPCError)] = []
    }

    /// Every `kind` item of the workspace's servers that `access` allows, in server order then upstream order.
    func list(_ kind: ListKind, access: Access, session: String) async -> Merged {
        let perServer = await fetchAll(
            kind, servers: access.workspace.servers.map(\.slug), access: access, session: session)
        var merged = Merged()
        var uriCount: [String: Int] = [:]
        if kind == .resources {
            for (_, result) in perServer {
                for item in (try? result.get()) ?? [] {
                    if let uri = item["uri"]?.stringValue { uriCount[uri, default: 0] += 1 }
                }
            }
        }
        for (server, result) in perServer {
            switch result {
            case .failure(let error):
                merged.unavailable.append((server, error))
            case .success(let items):
                for item in items {
                    if let shaped = shape(item, kind: kind, server: server, policy: access.policy, uriCount: uriCount) {
                        merged.items.append(shaped)
                    }
                }
            }
        }
        return merged
    }

    /// The item as the client sees it, or nil when the token's FeatureSets hide it.
    private func shape(
        _ item: JSONValue, kind: ListKind, server: String, policy: AccessPolicy, uriCount: [String: Int]
    ) -> JSONValue? {
        guard var object = item.objectValue else { return nil }
        switch kind {
        case .tools, .prompts:
            guard let name = object["name"]?.stringValue else { return nil }
            let namespaced = ToolNamespace.name(server: server, tool: name)
            guard policy.allows(namespaced) else { return nil }
            object["name"] = .string(namespaced)
        case .resources:
            guard let uri = object["uri"]?.stringValue, policy.allowsResource(uri, server: server) else { return nil }
            if uriCount[uri, default: 0] > 1 {
                object["uri"] = .string(ResourceAddress.disambiguated(uri, server: server))
            }
        case .resourceTemplates:
            guard let template = object["uriTemplate"]?.stringValue, policy.allowsResource(template, server: server)
            else { return nil }
        }
        return .object(object)
    }

    /// Each server's list, from the cache or fetched concurrently, in the order of `servers`; only of the servers
    /// whose `kind` items the token's FeatureSets could allow. The others are never started (and so cost no process,
    /// no decryption and no audit entry for a token that cannot use them) nor reported as unavailable: a token
    /// learns nothing of a server outside its FeatureSets, not even that it fails.
    private func fetchAll(
        _ kind: ListKind, servers: [String], access: Access, session: String
    ) async -> [(String, Result<[JSONValue], JSONRPCError>)] {
        let servers = servers.filter { server in
            switch kind {
            case .tools, .prompts: access.policy.mayAllowNames(of: server)
            case .resources, .resourceTemplates: access.policy.mayAllowResources(of: server)
            }
        }
        return await withTaskGroup(of: (Int, Result<[JSONValue], JSONRPCError>).self) { group in
            for (index, server) in servers.enumerated() {
                let key = ChannelKey(workspace: access.workspace.slug, server: server, session: session)
                group.addTask { (index, await fetch(kind, key: key)) }
            }
            var results = [(String, Result<[JSONValue], JSONRPCError>)?](repeating: nil, count: servers.count)
            for await (index, result) in group { results[index] = (servers[index], result) }
            return results.compactMap { $0 }
        }
    }

    /// One upstream's whole list (all pages), cached until the upstream reports a change.
    func fetch(_ kind: ListKind, key: ChannelKey) async -> Result<[JSONValue], JSONRPCError> {
        if let cached = caller.pool.cachedList(kind, for: key) { return .success(cached) }
        let channel: OpenChannel
        do {
            channel = try await caller.pool.channel(key)
        } catch {
            return .failure(error.rpcError(server: key.server))
        }
        guard channel.upstream.capabilities?[kind.capability] != nil else { return .success([]) }
        var items: [JSONValue] = []
        var cursor: JSONValue?
        for _ in 0..<Self.maximumPages {
            let params: JSONValue? = cursor.map { .object(["cursor": $0]) }
            let outcome: Outcome
            do {
                outcome = try await caller.send(kind.method, params: params, to: key)
            } catch {
                return .failure(error.rpcError(server: key.server))
            }
            switch outcome {
            case .error(let error) where error.code == JSONRPCError.methodNotFound:
                return .success([])  // a server that has no such list after all
            case .error(let error):
                return .failure(error)
            case .result(let result):
                items += result[kind.field]?.arrayValue ?? []
                cursor = result["nextCursor"]
            }
            if cursor == nil || cursor == .null { break }
        }
        caller.pool.store(items, kind: kind, for: key, channel: channel.number)
        return .success(items)
    }

    /// The server and upstream name behind a namespaced tool or prompt name; nil when no installed server lists it.
    /// Looked up in the servers' (cached) lists, so an unknown name is refused here rather than by the upstream.
    func resolve(_ name: String, kind: ListKind, access: Access, session: String) async -> (
        server: String, name: String
    )? {
        // A name is `slug__tool`, possibly shortened: only servers whose prefix fits can own it.
        let candidates = access.workspace.servers.map(\.slug).filter {
            name.hasPrefix(ToolNamespace.prefix(server: $0))
        }
        for server in candidates {
            let key = ChannelKey(workspace: access.workspace.slug, server: server, session: session)
            switch await fetch(kind, key: key) {
            case .success(let items):
                for item in items {
                    if let original = item["name"]?.stringValue,
                        ToolNamespace.name(server: server, tool: original) == name
                    {
                        return (server, original)
                    }
                }
            case .failure:
                // The server cannot list now; a plainly namespaced name still goes to it, to report why it fails.
                let original = String(name.dropFirst(server.count + ToolNamespace.separator.count))
                if name.hasPrefix(server + ToolNamespace.separator),
                    ToolNamespace.name(server: server, tool: original) == name
                {
                    return (server, original)
                }
            }
        }
        return nil
    }

    /// The server that owns resource `uri` (as the client sees it) and the URI to send it, among what the token may
    /// read; nil when none does. Nil alike whether the resource does not exist or the token's FeatureSets leave it
    /// out, and found without starting a server they leave out: a token learns nothing of what it cannot use.
    func resolveResource(_ uri: String, access: Access, session: String) async -> (server: String, uri: String)? {
        let policy = access.policy
        let servers = access.workspace.servers.map(\.slug)
        if let (server, original) = ResourceAddress.parse(uri) {
            guard servers.contains(server), policy.allowsResource(original, server: server) else { return nil }
            return (server, original)
        }
        let lists = await fetchAll(.resources, servers: servers, access: access, session: session)
        for (server, result) in lists where policy.allowsResource(uri, server: server) {
            if case .success(let items) = result, items.contains(where: { $0["uri"]?.stringValue == uri }) {
                return (server, uri)
            }
        }
        let templates = await fetchAll(.resourceTemplates, servers: servers, access: access, session: session)
        for (server, result) in templates where policy.allowsResource(uri, server: server) {
            guard case .success(let items) = result else { continue }
            for item in items {
                if let template = item["uriTemplate"]?.stringValue, ResourceAddress.matches(uri, template: template) {
                    return (server, uri)
                }
            }
        }
        return nil
    }
}
