import Foundation
import MCPWire
import Testing

/// The gateway keeps the broker leases of its channels alive for the requests that use them.
@Suite struct LeaseRenewalTests {
    @Test func aPoolChannelLeftIdleIsRenewedBeforeACallOutlastsItsLease() throws {
        let (harness, token) = try ServingTests.served(extra: ["--lease-ttl", "3s"])
        func call(_ id: Int, _ tool: String, _ arguments: String) throws -> String? {
            try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: id, method: "tools/call",
                params: #""name":"up__\#(tool)","arguments":\#(arguments)"#, name: "up__\(tool)", timeout: 20
            ).json?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue
        }
        // Opens the stateless pool's channel, under a lease that ends 3 s later unless renewed.
        #expect(try call(1, "echo", #"{"text":"open"}"#) == "open")
        // Idle past two thirds of the lease; the next call lasts longer than what is left of it. Handed the channel
        // as it was, the call would be cut off when the lease ends (`lease expired`).
        Thread.sleep(forTimeInterval: 2.3)
        #expect(try call(2, "sleep", #"{"ms":1500}"#) == "slept 1500")
        #expect(try call(3, "echo", #"{"text":"after"}"#) == "after")
    }
}
