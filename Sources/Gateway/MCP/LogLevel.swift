/// The severities of MCP logging (the syslog levels of RFC 5424), least severe first.
enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case debug, info, notice, warning, error, critical, alert, emergency

    /// The level a `level` field names; nil for anything else.
    init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    var name: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warning: "warning"
        case .error: "error"
        case .critical: "critical"
        case .alert: "alert"
        case .emergency: "emergency"
        }
    }

    static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
