import Foundation

// Entry point: parse flags, then serve stdio (stdin line by line until EOF) or HTTP.

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))

// A client that stops reading must not kill us with SIGPIPE before it sees our exit on EOF.
signal(SIGPIPE, SIG_IGN)

if options.transport == .http {
    HTTPMode.run(options)
}

logStderr("sealgate-test-upstream started pid=\(getpid()) era=\(options.eraMode.rawValue)\n")

let server = Server(mode: options.eraMode, output: Output())
while let line = readLine(strippingNewline: true) {
    server.handle(line: line)
}
// Stdin EOF is the stdio shutdown signal; in-flight sleeps are abandoned on purpose.
exit(0)
