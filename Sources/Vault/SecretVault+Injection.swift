import CSodium
import Foundation

/// A secret decrypted for injection into one upstream: its name (the env var, the `${NAME}`), version and value.
public struct InjectedSecret {
    public let name: String
    public let version: Int64
    public let value: SecretValue

    public init(name: String, version: Int64, value: SecretValue) {
        (self.name, self.version, self.value) = (name, version, value)
    }
}

extension SecretVault {
    /// Decrypts every secret of (workspace, server) for injection, and audits the injection (names and versions,
    /// never values). For the broker when it starts an upstream, and for `sealgate run`.
    public func unsealForInjection(server: String, workspace: String, purpose: String) throws(VaultError)
        -> [InjectedSecret]
    {
        let ws = try self.workspace(workspace)
        let secrets = try read { tx -> [InjectedSecret] in
            // OAuth records are not for injection: the broker sends their token itself (`oauthGrant`).
            try tx.secrets(workspaceID: ws.id, server: server).filter { !OAuthGrant.isReserved($0.name) }.map { info in
                guard
                    let sealed = try tx.sealedSecret(
                        workspaceID: ws.id, server: server, name: info.name, version: info.currentVersion)
                else { throw VaultError.integrity("secret \(server)/\(info.name) (current version missing)") }
                let plaintext = try openSecret(
                    sealed, workspace: ws, server: server, name: info.name, version: info.currentVersion, in: tx)
                return InjectedSecret(
                    name: info.name, version: info.currentVersion, value: SecretValue(storage: plaintext))
            }
        }
        let detail = ([purpose] + secrets.map { "\($0.name)@v\($0.version)" }).joined(separator: " ")
        try recordEvent("secret.inject", workspace: ws.slug, target: server, detail: detail)
        return secrets
    }

    /// What an upstream's injection depends on, without decrypting: the server definition, each secret's current
    /// version and the data key term. It changes exactly when a running upstream must be re-established.
    public func injectionFingerprint(server: String, workspace: String) throws(VaultError) -> String {
        try read { tx in
            guard let ws = try tx.workspace(slug: workspace), let definition = try tx.server(slug: server) else {
                return "absent"
            }
            // A refresh (`oauth.tokens`) or a registration (`oauth.client`) changes nothing a running upstream must
            // redo: it takes new tokens up itself. A login (`oauth.login`) does.
            let secrets = try tx.secrets(workspaceID: ws.id, server: server).filter {
                !OAuthGrant.isReserved($0.name) || $0.name == OAuthGrant.loginName
            }
            return "\(definition)|term \(ws.dataKeyTerm)|"
                + secrets.map { "\($0.name)=\($0.currentVersion)" }.joined(separator: ",")
        }
    }

    /// Appends an audit entry for something that happened outside the vault (a lease granted, renewed or revoked).
    public func recordEvent(
        _ event: String, workspace: String? = nil, target: String? = nil, detail: String? = nil
    ) throws(VaultError) {
        try writeReturning(changesConfiguration: false) { _ in
            ((), AuditEvent(event: event, workspace: workspace, target: target, detail: detail))
        }
    }
}

extension SecretValue {
    /// The forms in which an injected value may come back from an upstream: itself, base64 (standard and URL-safe,
    /// with and without padding) and percent-encoded. Each is held in guarded memory like the value.
    public func encodedForms() -> [SecretValue] {
        var forms = [self]
        for variant in [
            sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
            sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING,
        ] {
            let capacity = sodium_base64_encoded_len(count, variant)
            let encoded = SecureBytes(count: capacity)
            withUnsafeBytes { raw in
                encoded.withUnsafeMutableBytes { out in
                    _ = sodium_bin2base64(
                        out.baseAddress!.assumingMemoryBound(to: CChar.self), capacity,
                        raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count, variant)
                }
            }
            encoded.truncate(to: capacity - 1)  // the C terminator
            forms.append(SecretValue(storage: encoded))
        }
        forms.append(percentEncoded())
        var distinct: [SecretValue] = []
        for form in forms where !distinct.contains(form) && !form.isEmpty { distinct.append(form) }
        return distinct
    }

    /// RFC 3986 percent-encoding: unreserved bytes as they are, everything else as `%XX`.
    private func percentEncoded() -> SecretValue {
        let hex = Array("0123456789ABCDEF".utf8)
        let encoded = SecureBytes(count: count * 3)
        var length = 0
        withUnsafeBytes { raw in
            encoded.withUnsafeMutableBytes { out in
                for byte in raw {
                    let unreserved =
                        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                        || [0x2D, 0x2E, 0x5F, 0x7E].contains(byte)
                    if unreserved {
                        out[length] = byte
                        length += 1
                    } else {
                        out[length] = 0x25
                        out[length + 1] = hex[Int(byte >> 4)]
                        out[length + 2] = hex[Int(byte & 0xF)]
                        length += 3
                    }
                }
            }
        }
        encoded.truncate(to: length)
        return SecretValue(storage: encoded)
    }
}
