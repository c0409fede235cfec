import BrokerClient
import Foundation
import MCPWire
import Testing
import Vault

/// The upstream's move, end to end: send an injected value back encoded the way real software encodes it, through
/// the broker's whole path (including its shortcut for lines that cannot hold a secret).
@Suite(.serialized)
struct EncodedLeakTests {
    static let token = "sk-live-5ecret/Value+42=="
    static let phrase = #"p"a\ss/wörd 9f3k"#

    @Test func encodedValuesAreMaskedInWhatTheUpstreamSends() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "up")
            try vault.setSecret(
                server: "up", name: "TOKEN", value: SecretValue(unsafeFromString: Self.token), workspace: "eng")
            try vault.setSecret(
                server: "up", name: "PHRASE", value: SecretValue(unsafeFromString: Self.phrase), workspace: "eng")
        }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let basic = "Basic " + Data(("deploy:" + Self.token).utf8).base64EncodedString()
        let lowerHex = "sk-live-5ecret%2fValue%2b42%3d%3d"
        let form = Self.phrase.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            .replacingOccurrences(of: "%20", with: "+")
        let nestedJSON = String(
            decoding: try JSONSerialization.data(withJSONObject: ["password": Self.phrase]), as: UTF8.self)
        for (what, text) in [
            ("a Basic credential", "Authorization: \(basic)"), ("lower-case percent-encoding", "GET /?t=\(lowerHex)"),
            ("a form body", "user=x&password=\(form)"), ("JSON inside the result text", nestedJSON),
        ] {
            let echoed = try client.tool(channel, "echo", ["text": .string(text)])
            #expect(echoed.contains("[REDACTED:"), "\(what): \(echoed)")
            #expect(!echoed.contains(String(text.suffix(12))), "\(what): \(echoed)")
        }
        await harness.stop()
    }
}
