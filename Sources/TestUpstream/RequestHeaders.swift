/// The header fields of the HTTP request that carried a message, kept free of NIO types so the
/// protocol code does not depend on the transport.
struct RequestHeaders: Sendable {
    /// Every field in arrival order, names as sent.
    let fields: [(name: String, value: String)]

    /// The value of header `name`, matched case-insensitively; a repeated field's values are
    /// joined with ", " as RFC 9110 combines field lines. Nil when the header is absent.
    subscript(name: String) -> String? {
        let wanted = name.lowercased()
        let values = fields.filter { $0.name.lowercased() == wanted }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }
}
