import FuzzDriver
import MCPWire

// fuzz-json: the JSON parser every request, response and broker frame goes through (scripts/fuzz fuzz-json SECONDS).
// Invariants: bad input is an error, never a crash; what parses serialises to JSON that parses back to the same
// value and the same bytes; a JSON-RPC message survives its own serialisation; an object copied and edited member
// by member agrees with the original.

func fuzzOne(_ input: UnsafeBufferPointer<UInt8>) {
    guard let value = try? JSONParser.parse(input) else { return }
    let bytes = value.serialized
    guard let again = try? JSONParser.parse(bytes) else { fatalError("serialised JSON does not parse: \(bytes)") }
    precondition(again == value, "parse(serialise(v)) != v")
    precondition(again.serialized == bytes, "serialisation is not a fixed point")
    precondition(again.hashValue == value.hashValue, "equal values hash differently")
    if let message = try? JSONRPCMessage(value) {
        precondition((try? JSONRPCMessage.parse(message.serialized)) == message, "a message does not round-trip")
    }
    if case .object(let object) = value { checkEdits(object) }
}

/// Copies the object member by member, drops every other key, and puts them back at the end: the result must have
/// the members a plain ordered list would.
func checkEdits(_ object: JSONObject) {
    var copy = JSONObject()
    for member in object.members { copy[member.key] = member.value }
    precondition(copy == object, "a member-by-member copy differs")
    let members = object.members
    for (i, member) in members.enumerated() where i % 2 == 0 { copy[member.key] = nil }
    for (i, member) in members.enumerated() where i % 2 == 0 { copy[member.key] = member.value }
    let expected =
        members.enumerated().filter { $0.offset % 2 == 1 } + members.enumerated().filter { $0.offset % 2 == 0 }
    precondition(copy.keys == expected.map(\.element.key), "removing and re-adding keys lost their order")
    precondition(copy.count == object.count)
}

runFuzzer(fuzzOne)
