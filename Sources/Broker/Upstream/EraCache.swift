/// The era each server definition speaks, learned by the first probe and kept for the broker's life, so a
/// restarted or second process skips straight to the right handshake.
actor EraCache {
    private var eras: [String: ProtocolEra] = [:]

    func era(for fingerprint: String) -> ProtocolEra? { eras[fingerprint] }

    func remember(_ era: ProtocolEra, for fingerprint: String) { eras[fingerprint] = era }
}
