import Hummingbird
import Vault

/// How a change is made from a form: read the form, run the change, then show the page again with one line
/// saying what happened (`303`, then `GET`). A failed change says why in that line; the form's values are not
/// carried back (a secret typed into it never reaches a page), and the vault's transactions leave nothing
/// half-done.
struct Actions {
    let vault: DashboardVault
    let sessions: DashboardSessions

    /// The request's form (its body was collected by `SessionGuard`).
    static func form(_ request: Request, context: DashboardContext) async throws -> Form {
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var bytes = Array(buffer: body)
        defer { Form.wipe(&bytes) }
        guard let form = Form(body: bytes) else { throw HTTPError(.badRequest) }
        return form
    }

    /// Runs `change` with the request's form and the vault, then goes back to `page` with its outcome.
    func perform(
        _ request: Request, _ context: DashboardContext, back page: String,
        _ change: sending @escaping (Form, SecretVault) throws(DashboardFailure) -> String
    ) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let outcome: DashboardSessions.Flash
        do {
            outcome = .init(
                kind: .done, text: try await vault.change { vault throws(DashboardFailure) in try change(form, vault) })
        } catch {
            outcome = .init(kind: .failed, text: error.message)
        }
        if let session = context.session { sessions.setFlash(outcome, for: session.id) }
        return .seeOther(page)
    }
}

extension SecretVault {
    /// A vault call inside a change, its error as the page's message.
    func attempt<T>(_ call: (SecretVault) throws(VaultError) -> T) throws(DashboardFailure) -> T {
        do { return try call(self) } catch { throw DashboardFailure(error) }
    }
}
