import HostTrust

/// Which requests the gateway answers by their `Host` (the DNS-rebinding defence): one `Host`, naming this machine
/// as `AllowedHosts` judges it.
struct HostCheck: Sendable {
    /// What is wrong with a request's `Host`.
    enum Refusal: Sendable {
        /// Missing on HTTP/1.1, repeated, or not a host.
        case malformed
        /// A name this gateway does not answer to.
        case foreign
    }

    private let hosts: AllowedHosts

    /// `listenHost` is the address the gateway is bound to; `names` are further host names to accept.
    init(listenHost: String, names: [String] = []) {
        hosts = AllowedHosts(listenHost: listenHost, names: names)
    }

    /// Nil when `request` may be served.
    func refusal(_ request: HTTPRequest) -> Refusal? {
        let values = request.head.headers["Host"]
        guard values.count == 1 else {
            return values.isEmpty && request.head.version == .http1_0 ? nil : .malformed
        }
        guard let host = AllowedHosts.hostPart(values[0]) else { return .malformed }
        return hosts.allows(host) ? nil : .foreign
    }
}
