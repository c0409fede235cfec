import BrokerProtocol

/// What the dashboard asks of the broker running in the same process: each server's live state, and the leases.
/// A protocol so that the module needs no part of the broker (`serve` passes its `CredentialBroker`).
public protocol BrokerView: Sendable {
    func serverStates() async -> [ServerLiveState]
    func activeLeases() async -> [LeaseInfo]
    /// Revokes a lease (the caller audits it); nil when no lease has that id.
    func revokeLease(_ id: String) async -> LeaseInfo?
}

/// No broker (a dashboard tested on its own): nothing runs, no lease.
struct NoBroker: BrokerView {
    func serverStates() async -> [ServerLiveState] { [] }
    func activeLeases() async -> [LeaseInfo] { [] }
    func revokeLease(_ id: String) async -> LeaseInfo? { nil }
}
