import ArgumentParser

/// A duration written `30s`, `15m`, `2h` or `7d` (and `500ms` where sub-second makes sense), in seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let seconds: Int64
    /// The same duration with millisecond precision.
    let duration: Duration

    init?(argument: String) {
        if argument.hasSuffix("ms"), let count = Int64(argument.dropLast(2)), count > 0, count <= 86_400_000 {
            seconds = (count + 999) / 1000
            duration = .milliseconds(count)
            return
        }
        guard let unit = argument.last, let count = Int64(argument.dropLast()), count > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: return nil
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow, product <= 100 * 365 * 86400 else { return nil }
        seconds = product
        duration = .seconds(product)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
