/// The four lists a gateway merges across servers.
enum ListKind: String, Sendable, CaseIterable {
    case tools
    case prompts
    case resources
    case resourceTemplates

    /// The MCP method that fetches it.
    var method: String {
        switch self {
        case .tools: "tools/list"
        case .prompts: "prompts/list"
        case .resources: "resources/list"
        case .resourceTemplates: "resources/templates/list"
        }
    }

    /// The member of the result that holds the items.
    var field: String { rawValue }

    /// The server capability that says the server has such a list.
    var capability: String {
        switch self {
        case .tools: "tools"
        case .prompts: "prompts"
        case .resources, .resourceTemplates: "resources"
        }
    }

    /// The list-changed notification that invalidates it.
    var changeNotification: String {
        switch self {
        case .tools: "notifications/tools/list_changed"
        case .prompts: "notifications/prompts/list_changed"
        case .resources, .resourceTemplates: "notifications/resources/list_changed"
        }
    }

    /// The list a change notification names; nil for any other method.
    static func changed(by method: String) -> [ListKind]? {
        switch method {
        case "notifications/tools/list_changed": [.tools]
        case "notifications/prompts/list_changed": [.prompts]
        case "notifications/resources/list_changed": [.resources, .resourceTemplates]
        default: nil
        }
    }
}
