import Vault

/// Why a dashboard action did not happen, shown on the page in one line. Built from the vault's own errors (which
/// say what to do next) or from the form's checks; never holds a submitted secret.
struct DashboardFailure: Error, Sendable {
    enum Kind: Sendable { case invalid, notFound, conflict, failed }
    let kind: Kind
    let message: String
    /// The vault's code, when the vault refused.
    var code: VaultError.Code?

    static func invalid(_ message: String) -> DashboardFailure { DashboardFailure(kind: .invalid, message: message) }

    init(kind: Kind, message: String) { (self.kind, self.message) = (kind, message) }

    init(_ error: VaultError) {
        let kind: Kind =
            switch error.code {
            case .invalidInput: .invalid
            case .notFound: .notFound
            case .refused: .conflict
            default: .failed
            }
        self.init(kind: kind, message: error.remedy.map { "\(error.message): \($0)" } ?? error.message)
        code = error.code
    }

    var status: Int {
        switch kind {
        case .invalid: 400
        case .notFound: 404
        case .conflict: 409
        case .failed: 500
        }
    }
}
