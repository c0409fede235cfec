import BrokerClient
import BrokerProtocol
import Foundation
import MCPWire
import TestSupport
import Testing
import Vault

/// What an upstream is given, and what comes back from it.
@Suite(.serialized)
struct InjectionTests {
    static let apiKey = "sk-live-5ecret/Value+42=="

    func harness() throws -> BrokerHarness {
        try BrokerHarness { vault in
            try BrokerHarness.addUpstream(
                vault, slug: "up", env: ["REGION": "eu-1", "AUTH_HEADER": "Bearer ${API_KEY}"])
            try vault.setSecret(
                server: "up", name: "API_KEY", value: SecretValue(unsafeFromString: Self.apiKey), workspace: "eng")
        }
    }

    @Test func theUpstreamSeesTheAllowListItsEnvAndItsSecretsAndNothingElse() async throws {
        setenv("SEALGATE_CANARY_NOT_FOR_UPSTREAMS", "leak", 1)
        setenv("AWS_SECRET_ACCESS_KEY", "also-not", 1)
        let harness = try harness()
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        let names = Set(try client.tool(channel, "env_names").split(separator: "\n").map(String.init))
        let allowed = Set(["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "USER", "LOGNAME"])
        let inherited = names.subtracting(["REGION", "AUTH_HEADER", "API_KEY"])
        #expect(inherited.isSubset(of: allowed), "unexpected variables: \(inherited.subtracting(allowed))")
        #expect(names.isSuperset(of: ["REGION", "AUTH_HEADER", "API_KEY", "PATH"]))
        #expect(!names.contains("SEALGATE_CANARY_NOT_FOR_UPSTREAMS") && !names.contains("AWS_SECRET_ACCESS_KEY"))
        // The values are right (checked by hash, so the test itself never prints them).
        #expect(try client.tool(channel, "env_hash", ["name": "API_KEY"]) == sha256(Self.apiKey))
        #expect(try client.tool(channel, "env_hash", ["name": "AUTH_HEADER"]) == sha256("Bearer " + Self.apiKey))
        #expect(try client.tool(channel, "env_hash", ["name": "REGION"]) == sha256("eu-1"))
        await harness.stop()
    }

    @Test func injectedValuesAreMaskedInResultsErrorsNotificationsAndStderr() async throws {
        let harness = try harness()
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        #expect(try client.tool(channel, "leak_env", ["name": "API_KEY"]) == "[REDACTED:API_KEY]")
        #expect(try client.tool(channel, "leak_env", ["name": "AUTH_HEADER"]) == "Bearer [REDACTED:API_KEY]")
        let error = try client.tool(channel, "leak_env_error", ["name": "API_KEY"])
        #expect(error.contains("[REDACTED:API_KEY]") && !error.contains(Self.apiKey))
        // Encoded forms: the upstream echoes whatever it is sent; what comes back is masked.
        let encodings = [
            Data(Self.apiKey.utf8).base64EncodedString(),
            Data(Self.apiKey.utf8).base64EncodedString().replacingOccurrences(of: "=", with: ""),
            Data(Self.apiKey.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                of: "/", with: "_"),
            Self.apiKey.addingPercentEncoding(
                withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!,
        ]
        for encoded in encodings {
            #expect(
                try client.tool(channel, "echo", ["text": .string("x \(encoded) y")]) == "x [REDACTED:API_KEY] y",
                "\(encoded)")
        }
        #expect(try client.tool(channel, "leak_stderr", ["name": "API_KEY"]) == "ok")
        #expect(await eventually { harness.logs.contains("leaking [REDACTED:API_KEY]") })
        await harness.stop()
        #expect(!harness.logs.contains(Self.apiKey))
        #expect(!harness.logs.contains(Data(Self.apiKey.utf8).base64EncodedString()))
    }

    /// The broker skips the walk over a parsed answer when the raw line can hold no secret; a value that the
    /// upstream's JSON writer escapes (a quote, a backslash) is absent from the raw line and must still be masked.
    @Test func aValueTheUpstreamEscapesIsMaskedToo() async throws {
        let quoted = #"pa"ss\word-9f3k"#
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "up", env: [:])
            try vault.setSecret(
                server: "up", name: "QUOTED", value: SecretValue(unsafeFromString: quoted), workspace: "eng")
        }
        try await harness.start()
        let client = try harness.client()
        let (channel, _, _) = try client.open("up")
        #expect(try client.tool(channel, "leak_env", ["name": "QUOTED"]) == "[REDACTED:QUOTED]")
        #expect(try client.tool(channel, "echo", ["text": .string("a \(quoted) b")]) == "a [REDACTED:QUOTED] b")
        // The same answer without anything escaped takes the short way and is left as it is.
        #expect(try client.tool(channel, "echo", ["text": "plain text"]) == "plain text")
        await harness.stop()
    }

    @Test func aMissingReferencedSecretRefusesTheChannelAndSaysWhichOne() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "up", env: ["TOKEN": "${NOT_SET}"])
        }
        try await harness.start()
        let client = try harness.client()
        try client.send(.open(ref: "r", workspace: "eng", server: "up", session: "s"))
        let answer = try client.receive()
        guard case .failure("r", _, let code, let message) = answer else { throw CLIFailure("\(answer)") }
        #expect(code == .notFound && message.contains("${NOT_SET}") && message.contains("secrets set up NOT_SET"))
        await harness.stop()
    }

    @Test func aValueWithANULByteIsRefusedWithoutShowingIt() async throws {
        let harness = try BrokerHarness { vault in
            try BrokerHarness.addUpstream(vault, slug: "up")
            let value = [UInt8]("nul-\u{0}-inside-secret".utf8)
            try vault.setSecret(
                server: "up", name: "BAD", value: value.withUnsafeBytes { SecretValue(copying: $0) }, workspace: "eng")
        }
        try await harness.start()
        let client = try harness.client()
        try client.send(.open(ref: "r", workspace: "eng", server: "up", session: "s"))
        let message = try client.receive { answer -> String? in
            if case .failure("r", _, _, let message) = answer { return message }
            return nil
        }
        #expect(message.contains("BAD") && message.contains("NUL"))
        #expect(!message.contains("inside-secret") && !harness.logs.contains("inside-secret"))
        await harness.stop()
    }

    @Test func everyInjectionIsAudited() async throws {
        let harness = try harness()
        try await harness.start()
        let client = try harness.client()
        _ = try client.open("up")
        await harness.stop()
        let events = try harness.openVault().auditEntries(workspace: "eng").map(\.event)
        #expect(events.contains("secret.inject") && events.contains("lease.grant"))
        let inject = try harness.openVault().auditEntries(workspace: "eng").first { $0.event == "secret.inject" }
        #expect(inject?.detail?.contains("API_KEY@v1") == true && inject?.detail?.contains(Self.apiKey) == false)
    }
}

func sha256(_ text: String) -> String {
    let pipe = Pipe()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = pipe
    try? process.run()
    process.killIfStillRunning(after: 30)
    input.fileHandleForWriting.write(Data(text.utf8))
    try? input.fileHandleForWriting.close()
    let out = pipe.fileHandleForReading.readDataToEndOfFile()
    _ = try? process.waitForExit()
    return String(decoding: out, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
