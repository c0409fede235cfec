import Foundation
import Testing

/// `sealgate serve` where it cannot listen, or before `init` (issue 17): it stops at once, naming the address and
/// what to do, instead of restarting a gateway that cannot bind for ever.
struct ServeAddressTests {
    /// A TCP socket listening on a free loopback port, as another program would; closed by the caller.
    static func occupiedPort() throws -> (socket: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard listening else { throw CLIError("cannot listen on a loopback port") }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func aPortInUseIsNamedWithWhatToDo() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        let (fd, port) = try Self.occupiedPort()
        defer { close(fd) }
        for command in ["serve", "gateway"] {
            let extra = command == "gateway" ? ["--broker-socket", cli.home + "/broker.sock"] : []
            let result = try cli.run([command, "--listen", "127.0.0.1:\(port)"] + extra)
            #expect(result.status == 4, "\(command): \(result.output)")
            #expect(result.stdout.isEmpty)
            #expect(
                result.stderr.contains("error: cannot listen on 127.0.0.1:\(port): the address is already in use"),
                "\(command): \(result.stderr)")
            #expect(result.stderr.contains("pass --listen HOST:PORT with another port"))
        }
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/broker.sock"))  // serve started nothing
        // The dashboard's address, the same way.
        let dashboard = try cli.run(["serve", "--listen", "127.0.0.1:0", "--dashboard", "127.0.0.1:\(port)"])
        #expect(dashboard.status == 4, "\(dashboard.output)")
        #expect(dashboard.stderr.contains("error: cannot listen on 127.0.0.1:\(port): the address is already in use"))
        #expect(dashboard.stderr.contains("pass --dashboard HOST:PORT with another port"), "\(dashboard.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cli.home + "/broker.sock"))
    }

    @Test func anAddressNotOfThisMachineOrNotAnIPIsNamed() throws {
        let cli = try SealgateCLI()
        try cli.ok(["init"])
        // 192.0.2.0/24 is TEST-NET-1: documentation only, never a local address.
        let foreign = try cli.fails(4, ["serve", "--listen", "192.0.2.1:8787"])
        #expect(foreign.contains("cannot listen on 192.0.2.1:8787: 192.0.2.1 is not an address of this machine"))
        #expect(foreign.contains("127.0.0.1 for this machine only"))
        let name = try cli.fails(64, ["serve", "--listen", "localhost:8787"])
        #expect(name.contains("'localhost' is not an IP address") && name.contains("--listen 127.0.0.1:8787"))
        try cli.fails(64, ["serve", "--listen", "8787"])  // no host: ArgumentParser's own usage error
        // The dashboard serves plain HTTP to its own user only: it refuses an address beyond loopback.
        for address in ["0.0.0.0:8789", "192.0.2.1:8789", "[::]:0"] {
            let dashboard = try cli.fails(64, ["serve", "--listen", "127.0.0.1:0", "--dashboard", address])
            #expect(dashboard.contains("loopback only") && dashboard.contains("ssh -L"), "\(address): \(dashboard)")
        }
    }

    @Test func serveBeforeInitSaysToRunInit() throws {
        let cli = try SealgateCLI()
        let result = try cli.run(["serve", "--listen", "127.0.0.1:0", "--no-dashboard"])
        #expect(result.status == 3, "\(result.output)")
        #expect(result.stderr.contains("error: no vault in \(cli.home); run `sealgate init` first"), "\(result.stderr)")
        // The version is logged first, even then.
        #expect(result.stderr.contains("(vault schema") && result.stderr.contains("starting"))
    }
}
