import Foundation
import MCPWire
import Testing

/// A client of one era through an upstream of the other, each calling a tool that uses an injected secret.
@Suite struct EraTranslationTests {
    static func served(upstreamEra: String) throws -> (ServeHarness, String) {
        let harness = try ServeHarness()
        let token = try harness.initialize()
        try harness.addTestUpstream("up", era: upstreamEra)
        try harness.ok(["mcp", "install", "up", "--workspace", "eng"])
        try harness.ok(["secrets", "set", "up", "API_KEY", "--workspace", "eng"], stdin: ServingTests.secret)
        try harness.start()
        return (harness, token)
    }

    @Test func aLegacyClientThroughAModernUpstream() throws {
        let (harness, token) = try Self.served(upstreamEra: "modern")
        let initialize = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        let session = try #require(initialize.header("Mcp-Session-Id"))
        let call = try HTTP.post(
            port: harness.port, harness.path(), token: token,
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"up__env_hash","arguments":{"name":"API_KEY"}}}"#,
            headers: [("Mcp-Session-Id", session), ("MCP-Protocol-Version", "2025-11-25")])
        let result = try #require(call.json?["result"])
        #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue == sha256Hex(ServingTests.secret))
        // The upstream spoke 2026-07-28; the 2025-era client gets none of its fields.
        #expect(result["resultType"] == nil && result["_meta"] == nil)
    }

    @Test func aModernClientThroughALegacyUpstream() throws {
        let (harness, token) = try Self.served(upstreamEra: "legacy")
        let call = try HTTP.modern(
            port: harness.port, harness.path(), token: token, method: "tools/call",
            params: #""name":"up__env_hash","arguments":{"name":"API_KEY"}"#, name: "up__env_hash")
        let result = try #require(call.json?["result"])
        #expect(result["content"]?.arrayValue?.first?["text"]?.stringValue == sha256Hex(ServingTests.secret))
        #expect(result["resultType"] == "complete")
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "sealgate")
    }
}
