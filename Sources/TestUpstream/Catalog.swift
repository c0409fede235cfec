/// The static features besides tools: one prompt and one resource, enough to prove a gateway
/// forwards every list/get/read method in both eras.
enum Catalog {
    static let prompts: JSON = [
        [
            "name": "greeting",
            "description": "Greets someone by name.",
            "arguments": [["name": "name", "description": "Who to greet.", "required": true]],
        ]
    ]

    static let infoURI = "test://info"

    static let resources: JSON = [
        ["uri": .string(infoURI), "name": "info", "mimeType": "text/plain"]
    ]

    /// `prompts/get`: only `greeting`, which needs its `name` argument.
    static func getPrompt(_ params: [String: JSON]) throws(RPCError) -> [String: JSON] {
        guard let name = params["name"]?.stringValue else { throw .invalidParams("prompts/get needs a string name") }
        guard name == "greeting" else { throw .invalidParams("unknown prompt \(name)") }
        guard let who = params["arguments"]?["name"]?.stringValue else {
            throw .invalidParams("prompt greeting needs the argument name")
        }
        return [
            "description": "A greeting",
            "messages": [["role": "user", "content": ["type": "text", "text": .string("Hello, \(who)!")]]],
        ]
    }

    /// `resources/read`: only `test://info`. Anything else is "Resource not found" with the code
    /// of `era`: -32002 in the handshake era (as 2025 servers answer), -32602 in 2026-07-28.
    static func readResource(_ params: [String: JSON], era: Era) throws(RPCError) -> [String: JSON] {
        guard let uri = params["uri"]?.stringValue else { throw .invalidParams("resources/read needs a string uri") }
        guard uri == infoURI else {
            throw RPCError(
                code: era == .legacy ? -32002 : -32602, message: "Resource not found", data: ["uri": .string(uri)])
        }
        return ["contents": [["uri": .string(infoURI), "mimeType": "text/plain", "text": "test upstream info"]]]
    }
}
