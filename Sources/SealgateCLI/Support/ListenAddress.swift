import ArgumentParser

/// `HOST:PORT` for `--listen`; the port may be 0 (any free port).
struct ListenAddress: ExpressibleByArgument, Sendable, CustomStringConvertible {
    let host: String
    let port: Int

    static let `default` = ListenAddress(host: "127.0.0.1", port: 8787)

    init(host: String, port: Int) {
        (self.host, self.port) = (host, port)
    }

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"), let port = Int(argument[argument.index(after: colon)...]),
            (0...65535).contains(port), colon > argument.startIndex
        else { return nil }
        host = String(argument[..<colon])
        self.port = port
    }

    var description: String { "\(host):\(port)" }
}
