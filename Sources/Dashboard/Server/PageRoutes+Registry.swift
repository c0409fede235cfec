import Foundation
import Hummingbird
import Vault

/// `/registry`: the server definitions.
extension PageRoutes {
    func addRegistry(to router: Router<DashboardContext>) {
        router.get("/registry") { _, context in
            let servers = try await vault.run { vault throws(VaultError) in try vault.servers() }
            return Response.html(RegistryPage.render(await frame(context), servers: servers))
        }
        router.post("/registry/add") { request, context in
            try await actions.perform(request, context, back: "/registry") { form, vault throws(DashboardFailure) in
                let server = try RegistryPage.definition(form)
                try vault.attempt { vault throws(VaultError) in try vault.addServer(server) }
                let references = server.secretReferences
                return "Added \(server.slug)"
                    + (references.isEmpty
                        ? "" : "; it refers to \(references.joined(separator: ", ")): set them on a workspace's page")
            }
        }
        router.post("/registry/remove") { request, context in
            try await actions.perform(request, context, back: "/registry") { form, vault throws(DashboardFailure) in
                let server = try form.required("server", what: "a server")
                let removed = try vault.attempt { vault throws(VaultError) in try vault.removeServer(server) }
                return "Removed \(server)"
                    + (removed.destroyed.isEmpty
                        ? "" : "; destroyed its secrets in \(removed.destroyed.joined(separator: ", "))")
            }
        }
    }

    /// The page that shows a token issued just now, or back to `failedBack` saying why none was.
}
