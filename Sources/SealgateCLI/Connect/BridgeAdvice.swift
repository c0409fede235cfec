import Foundation
import Synchronization

/// What `sealgate connect` tells the user on stderr when the gateway refuses it or cannot be reached, in words that
/// say what to fix. The MCP client gets a JSON-RPC error too, but many clients show that to nobody, and stderr is
/// where they keep a server's log. Each kind of failure is told once, not once per request.
final class BridgeAdvice: Sendable {
    /// The endpoint as shown: without user information, which may hold a password.
    let endpoint: String
    let slug: String
    private let told = Mutex<Set<String>>([])

    init(endpoint: String, slug: String) {
        (self.endpoint, self.slug) = (ConnectEndpoint.shown(endpoint), slug)
    }

    /// The advice for an HTTP status that answered nothing, nil when there is none to give.
    func advice(forStatus status: UInt) -> String? {
        switch status {
        case 401:
            "the gateway at \(endpoint) refused the token (HTTP 401): either workspace '\(slug)' does not exist "
                + "(check the slug with `sealgate workspace list`) or SEALGATE_TOKEN is not one of its tokens, or "
                + "was revoked or has expired (create one with `sealgate workspace token create \(slug) --name NAME`)"
        case 404:
            "the gateway has no MCP endpoint at \(endpoint) (HTTP 404): pass its base URL, e.g. "
                + "--url http://127.0.0.1:8787, or a workspace's endpoint, …/ws/\(slug)/mcp"
        default: nil
        }
    }

    /// Writes the advice for `status` on stderr, the first time it comes up.
    func tell(status: UInt) {
        guard let text = advice(forStatus: status) else { return }
        tell(key: "\(status)", text)
    }

    /// Writes why the gateway could not be reached, the first time.
    func tellUnreachable(_ error: any Error) {
        tell(
            key: "unreachable",
            "cannot reach the gateway at \(endpoint) (\(error)); is `sealgate serve` running, and listening there?")
    }

    private func tell(key: String, _ text: String) {
        guard told.withLock({ $0.insert(key).inserted }) else { return }
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
    }
}
