import Foundation
import Testing

/// The gateway process never holds a secret: after real calls that inject one, its memory and environment are
/// searched for the value. The same scan must find a tool argument sent in those calls, or it proves nothing.
@Suite struct PlaintextTests {
    @Test func theGatewaysMemoryHoldsNoSecretAfterInjectedCalls() throws {
        let (harness, token) = try ServingTests.served()
        let marker = "argument-marker-\(UInt64.random(in: 1...UInt64.max))"
        for id in 1...3 {
            let leak = try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: id, method: "tools/call",
                params: #""name":"up__leak_env","arguments":{"name":"API_KEY"}"#, name: "up__leak_env")
            #expect(leak.text.contains("[REDACTED:API_KEY]"))
            let hash = try HTTP.modern(
                port: harness.port, harness.path(), token: token, id: 10 + id, method: "tools/call",
                params: #""name":"up__echo","arguments":{"text":"\#(marker)"}"#, name: "up__echo")
            #expect(hash.text.contains(marker))
        }
        let pid = try harness.gatewayPID()
        let memory = try ProcessMemory.read(pid: pid)
        #expect(memory.count > 1 << 20, "read \(memory.count) bytes")
        let holdsMarker = memory.range(of: Data(marker.utf8)) != nil
        #expect(holdsMarker, "the scan should find the tool argument")
        let holdsSecret = memory.range(of: Data(ServingTests.secret.utf8)) != nil
        #expect(!holdsSecret, "the gateway's memory holds the secret")
        let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        #expect(environ.range(of: Data(ServingTests.secret.utf8)) == nil)
        #expect(environ.range(of: Data("SEALGATE_HOME".utf8)) == nil)
        let cmdline = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        #expect(cmdline.range(of: Data("vault".utf8)) == nil && cmdline.range(of: Data("--home".utf8)) == nil)
    }

    /// The gateway's environment is exactly its allow-list, row for row and byte for byte, at its first start and
    /// after each restart: no heap bytes after a value (rows handed to the spawn without their NUL once carried
    /// `HOME=/rootficates.crt`, pointers and a fragment of a secret), nothing of `serve`'s own environment beyond
    /// the list.
    @Test func theGatewaysEnvironmentIsItsAllowListByteForByteAcrossRestarts() throws {
        let harness = try ServeHarness()
        _ = try harness.initialize()
        let metricsToken = "metrics-\(UInt64.random(in: 1...UInt64.max))"
        try harness.start(env: ["SEALGATE_METRICS_TOKEN": metricsToken, "TZ": "UTC", "NOT_INHERITED": "x"])
        defer { harness.stop() }
        let expected = Set(
            (harness.environment.merging(["SEALGATE_METRICS_TOKEN": metricsToken, "TZ": "UTC"]) { $1 })
                .filter { ["PATH", "HOME", "LANG", "TZ", "SEALGATE_METRICS_TOKEN"].contains($0.key) }
                .map { "\($0.key)=\($0.value)" })
        var gateway = try harness.gatewayPID()
        for round in 0..<4 {
            let environ = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(gateway)/environ"))
            #expect(environ.last == 0, "round \(round): the last row has no NUL")
            let rows = environ.split(separator: 0, omittingEmptySubsequences: false).dropLast()
                .map { String(decoding: $0, as: UTF8.self) }
            #expect(rows.count == expected.count && Set(rows) == expected, "round \(round): \(rows)")
            kill(gateway, SIGKILL)
            let killed = gateway
            try eventually(within: 10) {
                guard let next = try? harness.gatewayPID(), next != killed else { return false }
                gateway = next
                return (try? HTTP.request(port: harness.port, "GET", "/healthz", timeout: 1))?.status == 200
            }
        }
    }
}

/// Reads every readable mapping of a process through `/proc/PID/mem`.
enum ProcessMemory {
    static func read(pid: Int32) throws -> Data {
        let maps = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8)
        let fd = open("/proc/\(pid)/mem", O_RDONLY)
        guard fd >= 0 else { throw HarnessError("cannot open /proc/\(pid)/mem: errno \(errno)") }
        defer { close(fd) }
        var memory = Data()
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, fields[1].hasPrefix("r"), !line.hasSuffix("[vvar]") else { continue }
            let bounds = fields[0].split(separator: "-")
            guard let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else { continue }
            var chunk = [UInt8](repeating: 0, count: Int(end - start))
            let n = chunk.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, $0.count, off_t(Int64(bitPattern: start)))
            }
            if n > 0 { memory.append(contentsOf: chunk[0..<n]) }
        }
        return memory
    }
}
