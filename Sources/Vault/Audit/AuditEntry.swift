/// One security event. Never holds a secret value or a token: only names and who did what.
public struct AuditEntry: Sendable, Equatable {
    public let seq: Int64
    public let at: Int64
    public let actor: String
    public let event: String
    public let workspace: String?
    public let target: String?
    public let detail: String?
}

/// A security event before it is numbered and chained.
struct AuditEvent {
    let event: String
    var workspace: String? = nil
    var target: String? = nil
    var detail: String? = nil
}
