import Foundation
import Hummingbird
import Vault

/// The overview, a workspace's page and the changes its forms make, and the page of a token issued just now.
extension PageRoutes {
    func addWorkspaces(to router: Router<DashboardContext>) {
        router.get("/") { _, context in
            let now = Int64(Date().timeIntervalSince1970)
            let rows = try await vault.run { vault throws(VaultError) in try OverviewPage.rows(vault, now: now) }
            return Response.html(OverviewPage.render(await frame(context), rows: rows, gateway: gateway()))
        }
        router.post("/workspaces") { request, context in
            let form = try await Actions.form(request, context: context)
            let name = form.text("name") ?? ""
            let slug = form.text("slug").flatMap { $0.isEmpty ? nil : $0 }
            // A new workspace comes with its first token: shown at once, like a token created on its page.
            let created = await vault.issue { vault throws(VaultError) in
                let (workspace, issued) = try vault.createWorkspace(name: name, slug: slug)
                return (workspace.slug, issued)
            }
            return await issued(created, context: context, failedBack: "/")
        }
        router.get("/w/:slug") { _, context in
            let slug = try context.parameters.require("slug")
            let model = try await vault.run { vault throws(VaultError) in
                try WorkspacePage.model(vault, slug: slug)
            }
            let states = await broker.serverStates().filter { $0.workspace == slug }
            return Response.html(WorkspacePage.render(await frame(context), model, states: states, gateway: gateway()))
        }
        router.post("/w/:slug/activate") { request, context in
            let slug = try context.parameters.require("slug")
            return try await actions.perform(request, context, back: "/") { _, vault throws(DashboardFailure) in
                try vault.attempt { vault throws(VaultError) in try vault.useWorkspace(slug) }
                return "\(slug) is the active workspace"
            }
        }
        router.post("/w/:slug/delete") { request, context in
            let slug = try context.parameters.require("slug")
            // Back to the workspace when refused (it is still there), to the overview once it is gone.
            let form = try await Actions.form(request, context: context)
            guard form.text("confirm") == slug else {
                sessions.setFlash(
                    .init(kind: .failed, text: "Not deleted: type the slug, \(slug), to confirm."),
                    for: context.session?.id ?? "")
                return Response.seeOther("/w/\(slug)")
            }
            return try await actions.perform(request, context, back: "/") { _, vault throws(DashboardFailure) in
                _ = try vault.attempt { vault throws(VaultError) in try vault.deleteWorkspace(slug) }
                return "Deleted \(slug), its secrets and its tokens"
            }
        }
    }

    func addWorkspaceParts(to router: Router<DashboardContext>) {
        func change(
            _ path: String, section: String,
            _ body: @escaping @Sendable (String, Form, SecretVault) throws(DashboardFailure) -> String
        ) {
            router.post(RouterPath(stringLiteral: "/w/:slug/\(path)")) { request, context in
                let slug = try context.parameters.require("slug")
                return try await actions.perform(request, context, back: "/w/\(slug)#\(section)") {
                    form, vault throws(DashboardFailure) in try body(slug, form, vault)
                }
            }
        }
        change("servers/install", section: "servers") { slug, form, vault throws(DashboardFailure) in
            let server = try form.required("server", what: "a server")
            try vault.attempt { vault throws(VaultError) in try vault.install(server: server, workspace: slug) }
            return "Installed \(server)"
        }
        change("servers/remove", section: "servers") { slug, form, vault throws(DashboardFailure) in
            let server = try form.required("server", what: "a server")
            try vault.attempt { vault throws(VaultError) in try vault.uninstall(server: server, workspace: slug) }
            return "Removed \(server) from \(slug)"
        }
        change("secrets/set", section: "secrets") { slug, form, vault throws(DashboardFailure) in
            let server = try form.required("server", what: "a server")
            let name = try form.required("name", what: "a name")
            guard let value = form.secret("value") else { throw DashboardFailure.invalid("a value is required") }
            let version = try vault.attempt { vault throws(VaultError) in
                try vault.setSecret(server: server, name: name, value: value, workspace: slug)
            }
            return "Set \(name) of \(server): version \(version)"
        }
        change("secrets/rollback", section: "secrets") { slug, form, vault throws(DashboardFailure) in
            let server = try form.required("server", what: "a server")
            let name = try form.required("name", what: "a name")
            guard let target = form.text("version").flatMap({ Int64($0) }) else {
                throw DashboardFailure.invalid("a version number is required")
            }
            let version = try vault.attempt { vault throws(VaultError) in
                try vault.rollbackSecret(server: server, name: name, to: target, workspace: slug)
            }
            return "Rolled \(name) of \(server) back to v\(target): now version \(version)"
        }
        change("secrets/remove", section: "secrets") { slug, form, vault throws(DashboardFailure) in
            let server = try form.required("server", what: "a server")
            let name = try form.required("name", what: "a name")
            _ = try vault.attempt { vault throws(VaultError) in
                try vault.removeSecret(server: server, name: name, workspace: slug)
            }
            return "Destroyed every version of \(name) of \(server)"
        }
        change("featuresets/create", section: "featuresets") { slug, form, vault throws(DashboardFailure) in
            let name = try form.required("name", what: "a name")
            let allow = AccessPage.globs(form.text("allow"))
            guard !allow.isEmpty else {
                throw DashboardFailure.invalid("a FeatureSet allows at least one glob, e.g. github__get_*")
            }
            let set = FeatureSet(name: name, allow: allow, deny: AccessPage.globs(form.text("deny")))
            try vault.attempt { vault throws(VaultError) in try vault.createFeatureSet(set, workspace: slug) }
            return "Created the FeatureSet \(name)"
        }
        change("featuresets/delete", section: "featuresets") { slug, form, vault throws(DashboardFailure) in
            let name = try form.required("name", what: "a name")
            try vault.attempt { vault throws(VaultError) in try vault.deleteFeatureSet(name: name, workspace: slug) }
            return "Deleted the FeatureSet \(name)"
        }
        change("tokens/revoke", section: "tokens") { slug, form, vault throws(DashboardFailure) in
            let name = try form.required("name", what: "a token name")
            try vault.attempt { vault throws(VaultError) in try vault.revokeWorkspaceToken(workspace: slug, name: name)
            }
            return "Revoked \(name): clients using it are refused"
        }
        router.post("/w/:slug/tokens/create") { request, context in
            let slug = try context.parameters.require("slug")
            let form = try await Actions.form(request, context: context)
            let name = form.text("name") ?? ""
            let sets = (form.text("featureSets") ?? "").split(separator: ",").map { String($0).trimmingWhiteSpace }
                .filter { !$0.isEmpty }
            let days = form.text("days").flatMap { $0.isEmpty ? nil : $0 }
            guard days == nil || Int64(days!).map({ $0 > 0 && $0 <= 3650 }) == true else {
                sessions.setFlash(
                    .init(kind: .failed, text: "Not created: the expiry is a number of days, 1 to 3650."),
                    for: context.session?.id ?? "")
                return Response.seeOther("/w/\(slug)#tokens")
            }
            let ttl = days.flatMap { Int64($0) }.map { $0 * 86_400 }
            let created = await vault.issue { vault throws(VaultError) in
                (slug, try vault.createWorkspaceToken(workspace: slug, name: name, featureSets: sets, ttl: ttl))
            }
            return await issued(created, context: context, failedBack: "/w/\(slug)#tokens")
        }
    }

    func issued(
        _ outcome: Result<IssuedWorkspaceToken, DashboardFailure>, context: DashboardContext, failedBack: String
    )
        async -> Response
    {
        switch outcome {
        case .success(let issued):
            return .html(
                TokenPage.render(
                    await frame(context), owner: issued.workspace, name: issued.name, token: issued.token,
                    gateway: gateway()))
        case .failure(let failure):
            sessions.setFlash(.init(kind: .failed, text: failure.message), for: context.session?.id ?? "")
            return .seeOther(failedBack)
        }
    }
}

/// A token issued just now, as the one page that shows it needs it.
struct IssuedWorkspaceToken: Sendable {
    /// Nil for a client's token.
    let workspace: String?
    let name: String
    let token: String
}

extension DashboardVault {
    /// Issues a token; its text leaves guarded memory only to be put on the page that shows it once.
    func issue(_ body: sending (SecretVault) throws(VaultError) -> (String?, IssuedToken)) -> Result<
        IssuedWorkspaceToken, DashboardFailure
    > {
        do {
            return .success(
                try run { vault throws(VaultError) in
                    let (workspace, issued) = try body(vault)
                    return IssuedWorkspaceToken(
                        workspace: workspace, name: issued.info.name,
                        token: issued.token.withUnsafeBytes { String(decoding: $0, as: UTF8.self) })
                })
        } catch {
            return .failure(DashboardFailure(error))
        }
    }
}
