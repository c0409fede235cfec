import Testing

@testable import Broker
@testable import Vault

/// When an answer may skip the walk over its parsed value: only when its raw bytes cannot hold a secret.
struct SecretMaskerTests {
    func masker(_ values: [String: String]) -> SecretMasker {
        SecretMasker(
            values.map { InjectedSecret(name: $0.key, version: 1, value: SecretValue(unsafeFromString: $0.value)) })
    }

    @Test func rawBytesWithoutEscapesOrPatternsCannotHoldASecret() {
        let masker = masker(["KEY": "tok-4f9a"])
        #expect(!masker.mayOccur(inJSON: Array(#"{"text":"nothing here"}"#.utf8)))
        #expect(masker.mayOccur(inJSON: Array(#"{"text":"a tok-4f9a b"}"#.utf8)))
        #expect(masker.mayOccur(inJSON: Array(#"{"text":"a \u0074ok-4f9a b"}"#.utf8)), "an escape can spell it")
        #expect(!SecretMasker([]).mayOccur(inJSON: Array(#"{"text":"\u0074"}"#.utf8)), "nothing to mask")
    }

    @Test func aValueHoldingTheReplacementCharacterIsAlwaysSuspected() {
        // Invalid UTF-8 in the raw line parses to U+FFFD, which could then complete such a value.
        let masker = masker(["KEY": "ab\u{FFFD}cd"])
        #expect(masker.mayOccur(inJSON: Array(#"{"text":"plain"}"#.utf8)))
    }
}
