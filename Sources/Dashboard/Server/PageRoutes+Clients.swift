import Foundation
import Hummingbird
import Vault

/// `/clients`: global tokens and their grants.
extension PageRoutes {
    func addClients(to router: Router<DashboardContext>) {
        router.get("/clients") { _, context in
            let (clients, workspaces) = try await vault.run { vault throws(VaultError) in
                (try vault.clients(), try vault.workspaces().map(\.slug))
            }
            return Response.html(AccessPage.clients(await frame(context), clients: clients, workspaces: workspaces))
        }
        router.post("/clients/create") { request, context in
            let form = try await Actions.form(request, context: context)
            let name = form.text("name") ?? ""
            let created = await vault.issue { vault throws(VaultError) in
                (nil, try vault.createClient(name: name, ttl: nil))
            }
            return await issued(created, context: context, failedBack: "/clients")
        }
        router.post("/clients/grant") { request, context in
            try await actions.perform(request, context, back: "/clients") { form, vault throws(DashboardFailure) in
                let name = try form.required("name", what: "a client")
                let workspace = try form.required("workspace", what: "a workspace")
                let sets = AccessPage.globs(form.text("featureSets"))
                try vault.attempt { vault throws(VaultError) in
                    try vault.grant(client: name, workspace: workspace, featureSets: sets)
                }
                return "Granted \(workspace) to \(name)"
            }
        }
        router.post("/clients/ungrant") { request, context in
            try await actions.perform(request, context, back: "/clients") { form, vault throws(DashboardFailure) in
                let name = try form.required("name", what: "a client")
                let workspace = try form.required("workspace", what: "a workspace")
                try vault.attempt { vault throws(VaultError) in
                    try vault.revokeGrant(client: name, workspace: workspace)
                }
                return "\(name) no longer reaches \(workspace)"
            }
        }
        router.post("/clients/revoke") { request, context in
            try await actions.perform(request, context, back: "/clients") { form, vault throws(DashboardFailure) in
                let name = try form.required("name", what: "a client")
                try vault.attempt { vault throws(VaultError) in try vault.revokeClient(name: name) }
                return "Revoked \(name): it is refused"
            }
        }
    }
}
