/// Identifiers handed to a peer that another peer must not be able to guess: session ids, and the progress tokens
/// the gateway and the broker put in place of a client's own. 128 bits from the kernel's CSPRNG (`getrandom` on
/// Linux, through `SystemRandomNumberGenerator`), as lower-case hex after `prefix`.
///
/// A counter would do for uniqueness; it is not enough where an id routes something back: an upstream that can
/// guess another request's token can speak into it.
public enum UnguessableID {
    public static func make(prefix: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let high = String(generator.next() as UInt64, radix: 16)
        let low = String(generator.next() as UInt64, radix: 16)
        return prefix + String(repeating: "0", count: 16 - high.count) + high
            + String(repeating: "0", count: 16 - low.count) + low
    }
}
