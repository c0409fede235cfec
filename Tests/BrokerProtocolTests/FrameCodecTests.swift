import Analytics
import BrokerProtocol
import MCPWire
import Testing

struct FrameCodecTests {
    static let samples: [BrokerMessage] = [
        .hello(protocolVersion: 1, client: "sealgate-gateway/0.1"),
        .open(ref: "r1", workspace: "eng", server: "github", session: "s-1"),
        .open(
            ref: "r1", workspace: "eng", server: "github", session: "s-1",
            clientCapabilities: .object(["elicitation": .object([:])])),
        .request(
            channel: 3, id: .number("7"), method: "tools/call", params: .object(["name": "echo", "n": .number("1.0")])),
        .notify(channel: 3, method: "notifications/cancelled", params: .object(["requestId": 7])),
        .reply(channel: 3, id: .string("up-1"), outcome: .result(.object([:]))),
        .renew(ref: "r2", lease: "lease-1"),
        .close(channel: 3),
        .listLeases(ref: "r3"),
        .revokeLease(ref: "r4", lease: "lease-1"),
        .authenticate(ref: "a", token: "mwt_x"),
        .usage([
            UsageRecord(
                workspace: "eng", server: "gh", tool: "search", caller: "client:cursor", minute: 29_000_000, calls: 3,
                errors: 1, latency: LatencyHistogram(counts: [40: 2, 41: 1]), lastUsedAt: 1_740_000_000_123)
        ]),
        .authenticated(
            ref: "a",
            AuthenticatedToken(
                kind: "client", name: "cursor", workspace: nil, featureSets: [], grants: ["eng": ["all"]], expiresAt: 9,
                hash: "cd")
        ),
        .stats(ref: "m1"),
        .statistics(
            ref: "m1",
            BrokerStatistics(
                upstreams: [.init(workspace: "eng", server: "gh", starts: 3, restarts: 2, failures: 1)],
                leases: [.init(workspace: "eng", active: 1, granted: 4, expired: 2, revoked: 1)], droppedUnasked: 5)),
        .welcome(protocolVersion: 1, broker: "sealgate-broker"),
        .snapshot(
            ConfigSnapshot(
                generation: 9, activeWorkspace: "eng",
                workspaces: [
                    .init(
                        slug: "eng", name: "Engineering",
                        servers: [.init(slug: "github", transport: "stdio", shared: false, defaultEnabled: true)],
                        featureSets: [.init(name: "ro", allow: ["github__get_*"], deny: ["*delete*"])],
                        tokens: [.init(name: "default", hash: "ab", featureSets: [], expiresAt: nil)])
                ],
                clients: [
                    .init(
                        token: .init(name: "cursor", hash: "cd", featureSets: [], expiresAt: 5),
                        grants: ["eng": ["all"]])
                ])),
        .opened(
            ref: "r1", channel: 3,
            lease: LeaseInfo(id: "l", workspace: "eng", server: "github", session: "s", expiresAt: 1_700_000_000_000),
            upstream: UpstreamInfo(
                protocolVersion: "2026-07-28", serverInfo: .object(["name": "x"]), capabilities: nil, instructions: "hi"
            )),
        .response(
            channel: 3, id: .number("7"), outcome: .error(JSONRPCError(code: -32601, message: "nope", data: "x"))),
        .notification(channel: 3, method: "notifications/tools/list_changed", params: nil),
        .upstreamRequest(channel: 3, id: .number("1"), method: "elicitation/create", params: .object([:])),
        .renewed(ref: "r2", lease: LeaseInfo(id: "l", workspace: "eng", server: "github", session: "s", expiresAt: 2)),
        .closed(channel: 3, reason: "lease expired"),
        .leases(ref: "r3", [LeaseInfo(id: "l", workspace: "eng", server: "github", session: "s", expiresAt: 2)]),
        .revoked(ref: "r4", lease: "l"),
        .failure(ref: nil, channel: 3, code: .malformedFrame, message: "bad"),
    ]

    @Test func everyMessageRoundTripsThroughAFrame() throws {
        var decoder = FrameDecoder()
        decoder.append(Self.samples.flatMap(\.frame))
        for expected in Self.samples {
            let object = try #require(try decoder.nextFrame())
            #expect(try BrokerMessage(object) == expected)
        }
        #expect(try decoder.nextFrame() == nil)
    }

    @Test func framesSplitAcrossReadsAreReassembled() throws {
        let bytes = Self.samples.flatMap(\.frame)
        var decoder = FrameDecoder()
        var decoded: [BrokerMessage] = []
        for chunk in stride(from: 0, to: bytes.count, by: 7) {
            decoder.append(bytes[chunk..<min(chunk + 7, bytes.count)])
            while let object = try decoder.nextFrame() { decoded.append(try BrokerMessage(object)) }
        }
        #expect(decoded == Self.samples)
    }

    @Test func anOversizedLengthIsFatal() {
        var decoder = FrameDecoder()
        decoder.append([0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameDecoder.Failure.frameTooLarge(0x7FFF_FFFF)) { try decoder.nextFrame() }
    }

    @Test func aMalformedFrameIsAnErrorAndTheNextFrameStillReads() throws {
        var decoder = FrameDecoder()
        let junk = Array("{not json".utf8)
        decoder.append([0, 0, 0, UInt8(junk.count)] + junk)
        decoder.append(FrameDecoder.encode(["type": "close", "channel": 1]))
        #expect(throws: FrameDecoder.Failure.self) { try decoder.nextFrame() }
        #expect(try BrokerMessage(try #require(try decoder.nextFrame())) == .close(channel: 1))
    }

    @Test(arguments: [
        #"{"type":"teleport"}"#, #"{"type":"open","ref":"r"}"#,
        #"{"type":"request","channel":"x","id":1,"method":"m"}"#,
        #"{"type":"reply","channel":1,"id":1}"#, #"{"type":"request","channel":1,"id":[],"method":"m"}"#, #"{}"#,
        #"{"type":"usage","records":[1]}"#,
        #"{"type":"statistics","ref":"m","statistics":{"upstreams":[],"leases":[{"workspace":"w","active":-1,"granted":0,"expired":0,"revoked":0}]}}"#,
        #"{"type":"statistics","ref":"m","statistics":{"upstreams":[{"workspace":"w"}],"leases":[]}}"#,
        #"{"type":"statistics","ref":"m","statistics":{"upstreams":[],"leases":[],"droppedUnasked":-2}}"#,
        #"{"type":"usage","records":[{"workspace":"w","server":"s","tool":"t","caller":"c","minute":1,"calls":1,"errors":2,"latency":[],"last_used_at":1}]}"#,
        #"{"type":"usage","records":[{"workspace":"w","server":"s","tool":"t","caller":"c","minute":1,"calls":1,"errors":0,"latency":[[999,1]],"last_used_at":1}]}"#,
    ])
    func wrongShapesAreProtocolErrors(_ text: String) throws {
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(throws: BrokerProtocolError.self) { try BrokerMessage(object) }
    }

    /// A property test: many thousands of random frames never crash the decoder or the message reader.
    @Test func randomFramesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] =
            Self.samples.map(\.frame) + [
                Array(#"{"type":"request","channel":1,"id":1,"method":"tools/call","params":{"#.utf8), [0, 0, 0, 0],
                [0xFF],
                Array(#""type""#.utf8), Array(#"{"type":"open","ref":1,"workspace":null}"#.utf8),
            ]
        var handled = 0
        for _ in 0..<20_000 {
            var decoder = FrameDecoder()
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                var piece = pieces.randomElement(using: &rng)!
                if !piece.isEmpty && Bool.random(using: &rng) {
                    piece[Int.random(in: 0..<piece.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) {
                    piece = Array(piece.prefix(Int.random(in: 0...piece.count, using: &rng)))
                }
                bytes += piece
            }
            decoder.append(bytes)
            while true {
                do {
                    guard let object = try decoder.nextFrame() else { break }
                    _ = try? BrokerMessage(object)
                } catch .frameTooLarge {
                    break
                } catch {
                    continue
                }
            }
            handled += 1
        }
        #expect(handled == 20_000)
    }
}
