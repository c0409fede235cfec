import Foundation
import MCPWire
import Testing

/// What goes wrong stays contained: a server that cannot start is left out and named, a flood of bad tokens is
/// limited without touching good clients.
@Suite struct DegradationTests {
    @Test func aServerThatCannotStartIsLeftOutAndNamedWhileOthersWork() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.addTestUpstream("good", withSecret: false)
        try harness.addTestUpstream("broken")  // refers to ${API_KEY}, which is never set
        try harness.ok(["mcp", "install", "good", "--workspace", "eng"])
        try harness.ok(["mcp", "install", "broken", "--workspace", "eng"])
        try harness.start()
        let list = try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list")
        let result = try #require(list.json?["result"])
        let names = result["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("good__echo") && !names.contains { $0.hasPrefix("broken__") })
        let unavailable = result["_meta"]?["io.sealgate/unavailableServers"]?.arrayValue ?? []
        #expect(unavailable.first?["server"] == "broken")
        #expect(unavailable.first?["error"]?.stringValue?.contains("API_KEY") == true)
        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, id: 2, method: "tools/call",
            params: #""name":"broken__echo","arguments":{"text":"x"}"#, name: "broken__echo")
        #expect(call.json?["error"]?["message"]?.stringValue?.contains("server broken is unavailable") == true)
    }

    @Test func aFloodOfBadTokensIsLimitedWithoutSlowingAGoodClient() throws {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.start()
        #expect(try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list").status == 200)
        var statuses: [Int] = []
        for index in 0..<60 {
            let bad = "mwt_" + String(repeating: "x", count: 40) + "\(index)"
            statuses.append(
                try HTTP.modern(port: harness.port, harness.path(), token: bad, method: "tools/list").status)
        }
        #expect(statuses.prefix(20).allSatisfy { $0 == 401 })
        #expect(statuses.suffix(20).allSatisfy { $0 == 429 }, "\(statuses)")
        let started = Date()
        #expect(try HTTP.modern(port: harness.port, harness.path(), token: token, method: "tools/list").status == 200)
        #expect(Date().timeIntervalSince(started) < 1)
    }
}
