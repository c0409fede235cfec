import ArgumentParser
import Broker
import Foundation
import NIOCore
import NIOPosix

/// Whether the gateway can listen where `--listen` says, and, when it cannot, an error that names the address and
/// says what to do.
///
/// `serve` checks before it opens the vault: the gateway is a child process that `serve` restarts when it dies, so a
/// port in use would otherwise show only as a gateway restarted ever more slowly, for ever.
enum ListenCheck {
    /// Binds `address` the way the gateway does (an IP literal, `SO_REUSEADDR`) and lets it go at once.
    static func verify(_ address: ListenAddress, option: String = "--listen") async throws {
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address.host, port: address.port)
        } catch {
            throw ValidationError(
                "\(option) \(address): '\(address.host)' is not an IP address; use one, such as 127.0.0.1 "
                    + "(this machine only), ::1 or 0.0.0.0 (every interface), e.g. \(option) 127.0.0.1:\(address.port)")
        }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(to: socketAddress).get()
            try await channel.close()
        } catch {
            throw failure(error, address: address, option: option)
        }
    }

    /// The error for a failed bind of `address`: named, with the remedy for the usual causes.
    static func failure(_ error: any Error, address: ListenAddress, option: String = "--listen") -> any Error {
        let another = "or pass \(option) HOST:PORT with another port (port 0 picks a free one)"
        guard let io = error as? IOError else {
            return BrokerError(.refused, "cannot listen on \(address): \(error)", remedy: another)
        }
        switch io.errnoCode {
        case EADDRINUSE:
            return BrokerError(
                .refused, "cannot listen on \(address): the address is already in use",
                remedy: "stop what listens there (`ss -ltnp 'sport = :\(address.port)'` names it), \(another)")
        case EADDRNOTAVAIL:
            return BrokerError(
                .refused, "cannot listen on \(address): \(address.host) is not an address of this machine",
                remedy: "use one of its addresses (127.0.0.1 for this machine only, 0.0.0.0 for every interface)")
        case EACCES:
            return BrokerError(
                .refused, "cannot listen on \(address): permission denied (ports below 1024 need privileges)",
                remedy: "use a port from 1024 up, e.g. \(option) \(address.host):8787")
        default:
            return BrokerError(.refused, "cannot listen on \(address): \(io.description)", remedy: another)
        }
    }
}
