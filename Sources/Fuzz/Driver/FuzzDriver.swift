// The entry point every fuzz target shares (Sources/Fuzz/*/main.swift ends with `runFuzzer(test)`).

import Glibc

#if FUZZING
    /// libFuzzer's driver (in the runtime `-sanitize=fuzzer` links): parses libFuzzer's options and calls `test` with
    /// each input. SwiftPM names an executable's `main` itself, so top-level code calls the driver instead of libFuzzer's
    /// own `main`.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif

/// The body of `LLVMFuzzerTestOneInput`. `nonisolated(unsafe)`: set once before the driver starts, and libFuzzer
/// calls inputs one at a time on one thread.
nonisolated(unsafe) private var target: (UnsafeBufferPointer<UInt8>) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    target(UnsafeBufferPointer(start: data, count: count))
    return 0
}

/// Fuzzes `test` when built by scripts/fuzz (`-sanitize=fuzzer,address -DFUZZING`). Built as a plain executable (as
/// `swift build` does), it runs `test` once on each file named on the command line instead: a corpus or a crash
/// reproduces without the sanitizer build.
public func runFuzzer(_ test: @escaping (UnsafeBufferPointer<UInt8>) -> Void) -> Never {
    target = test
    #if FUZZING
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runDriver(&argc, &argv, testOneInput))
    #else
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else {
                let message = "error: cannot open \(path)\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                exit(2)
            }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while case let n = fread(&chunk, 1, chunk.count, file), n > 0 { bytes += chunk[..<n] }
            fclose(file)
            bytes.withUnsafeBufferPointer(test)
        }
        print("ran \(CommandLine.arguments.count - 1) inputs")
        exit(0)
    #endif
}
