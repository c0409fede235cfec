import MCPWire

extension ConfigSnapshot {
    var json: JSONValue {
        var o: JSONObject = ["generation": .number(String(generation))]
        o["activeWorkspace"] = activeWorkspace.map(JSONValue.string) ?? .null
        o["workspaces"] = .array(
            workspaces.map { ws in
                .object([
                    "slug": .string(ws.slug), "name": .string(ws.name),
                    "servers": .array(
                        ws.servers.map {
                            .object([
                                "slug": .string($0.slug), "transport": .string($0.transport),
                                "shared": .bool($0.shared),
                                "defaultEnabled": .bool($0.defaultEnabled),
                            ])
                        }),
                    "featureSets": .array(
                        ws.featureSets.map {
                            .object([
                                "name": .string($0.name), "allow": .array($0.allow.map(JSONValue.string)),
                                "deny": .array($0.deny.map(JSONValue.string)),
                            ])
                        }),
                    "tokens": .array(ws.tokens.map(\.json)),
                ])
            })
        o["clients"] = .array(
            clients.map { client in
                var grants = JSONObject()
                for workspace in client.grants.keys.sorted() {
                    grants[workspace] = .array(client.grants[workspace]!.map(JSONValue.string))
                }
                return .object(["token": client.token.json, "grants": .object(grants)])
            })
        return .object(o)
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        func objects(_ values: [JSONValue], _ what: String) throws(BrokerProtocolError) -> [JSONObject] {
            try values.map { (value) throws(BrokerProtocolError) -> JSONObject in
                guard let object = value.objectValue else {
                    throw BrokerProtocolError(.malformedFrame, "\(what) must be objects")
                }
                return object
            }
        }
        var workspaces: [Workspace] = []
        for ws in try objects(try f.array("workspaces"), "workspaces") {
            let w = Fields(ws)
            var servers: [Server] = []
            for s in try objects(try w.array("servers"), "servers") {
                let sf = Fields(s)
                servers.append(
                    Server(
                        slug: try sf.string("slug"), transport: try sf.string("transport"),
                        shared: try sf.bool("shared"),
                        defaultEnabled: try sf.bool("defaultEnabled")))
            }
            var featureSets: [FeatureSet] = []
            for s in try objects(try w.array("featureSets"), "featureSets") {
                let sf = Fields(s)
                featureSets.append(
                    FeatureSet(
                        name: try sf.string("name"), allow: try sf.strings("allow"), deny: try sf.strings("deny")))
            }
            var tokens: [Token] = []
            for t in try objects(try w.array("tokens"), "tokens") { tokens.append(try Token(t)) }
            workspaces.append(
                Workspace(
                    slug: try w.string("slug"), name: try w.string("name"), servers: servers, featureSets: featureSets,
                    tokens: tokens))
        }
        var clients: [Client] = []
        for c in try objects(try f.array("clients"), "clients") {
            let cf = Fields(c)
            var grants: [String: [String]] = [:]
            for member in try cf.object("grants").members {
                grants[member.key] = try Fields(["g": member.value]).strings("g")
            }
            clients.append(Client(token: try Token(try cf.object("token")), grants: grants))
        }
        self.init(
            generation: try f.int64("generation"), activeWorkspace: o["activeWorkspace"]?.stringValue,
            workspaces: workspaces, clients: clients)
    }
}

extension ConfigSnapshot.Token {
    var json: JSONValue {
        .object([
            "name": .string(name), "hash": .string(hash), "featureSets": .array(featureSets.map(JSONValue.string)),
            "expiresAt": expiresAt.map { .number(String($0)) } ?? .null,
        ])
    }

    init(_ o: JSONObject) throws(BrokerProtocolError) {
        let f = Fields(o)
        let expires: Int64? = o["expiresAt"] == .null || o["expiresAt"] == nil ? nil : try f.int64("expiresAt")
        self.init(
            name: try f.string("name"), hash: try f.string("hash"), featureSets: try f.strings("featureSets"),
            expiresAt: expires)
    }
}
