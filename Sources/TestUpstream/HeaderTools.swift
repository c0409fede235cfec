/// The tools that read the HTTP request carrying the `tools/call`, for header-injection tests:
/// a gateway that adds a secret header can prove it arrived (`header_hash`) and that a leaked
/// value is masked on the way back (`leak_header`). Listed and callable only over HTTP.
extension Tools {
    static let headerDefinitions: JSON = [
        tool(
            "header_hash", "SHA-256 (hex) of a header of the HTTP request carrying this call, or \"unset\".",
            stringArgument: "name"),
        tool(
            "leak_header", "Returns the raw value of a header of the HTTP request carrying this call.",
            stringArgument: "name"),
    ]

    /// `tools/list`: the stdio tools and the hostile ones, plus the header tools when the request came over HTTP.
    static func definitions(overHTTP: Bool) -> JSON {
        guard case .array(let base) = definitions, case .array(let hostile) = hostileDefinitions,
            case .array(let header) = headerDefinitions
        else { return definitions }
        return .array(base + hostile + (overHTTP ? header : []))
    }

    /// Answers `header_hash` and `leak_header` and returns true; returns false for any other
    /// tool, and for these two on stdio, where there is no request to read.
    static func callHeaderTool(_ name: String, arguments: [String: JSON], reply: Reply) -> Bool {
        guard name == "header_hash" || name == "leak_header", let headers = reply.headers else { return false }
        guard let header = arguments["name"]?.stringValue else {
            reply.toolText("\(name) needs the string argument name", isError: true)
            return true
        }
        let value = headers[header]
        if name == "header_hash" {
            reply.toolText(value.map(SHA256.hexDigest(of:)) ?? "unset")
        } else {
            reply.toolText(value ?? "unset")
        }
        return true
    }
}
