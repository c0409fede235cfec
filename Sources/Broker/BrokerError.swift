import BrokerProtocol
import Vault

/// The one error type of the broker: a code to match on, a message, and what to do about it.
public struct BrokerError: Error, CustomStringConvertible, Sendable {
    public let code: FailureCode
    public let message: String
    public let remedy: String?

    public init(_ code: FailureCode, _ message: String, remedy: String? = nil) {
        (self.code, self.message, self.remedy) = (code, message, remedy)
    }

    public var description: String { remedy.map { "\(message); \($0)" } ?? message }

    /// A vault failure as the broker reports it to a gateway (the message never holds a value).
    init(_ error: VaultError) {
        let code: FailureCode =
            switch error.code {
            case .notFound: .notFound
            case .integrity: .integrity
            case .refused, .keyRotated, .invalidInput: .refused
            case .internalFailure: .internalError
            }
        self.init(code, error.message, remedy: error.remedy)
    }
}
