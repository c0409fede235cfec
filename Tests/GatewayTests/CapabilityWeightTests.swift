import MCPWire
import Testing

@testable import Gateway

/// A client's declared capabilities go to the broker with every upstream opened for its session: megabytes there
/// (a maximal `initialize` body) would be parsed and serialized again at each open, in the lane every workspace's
/// token checks share. A capability that heavy is declared bare.
struct CapabilityWeightTests {
    @Test func aHeavyCapabilityIsDeclaredWithoutItsOptions() {
        var options = JSONObject()
        for n in 0..<10_000 { options["k\(n)"] = true }
        let requests = ClientRequests()
        requests.declare(
            initializeParams: .object([
                "capabilities": .object([
                    "sampling": .object(options), "roots": .object(["listChanged": true]),
                    "experimental": .object(options),
                ])
            ]))
        #expect(requests.capabilities == .object(["roots": .object(["listChanged": true]), "sampling": .object([:])]))
        #expect(requests.capabilities?.outweighs(ClientRequests.maximumCapabilityWeight) == false)
    }
}
