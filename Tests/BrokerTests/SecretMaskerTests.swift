import Foundation
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

/// The upstream's move: send an injected value back in a form the masker might not know. Each form is built here
/// with Foundation, independently of the masker's own encoders.
struct MaskedEncodingTests {
    static let secret = "sk-live-5ecret/Value+42=="

    func masker(_ values: [String: String]) -> SecretMasker {
        SecretMasker(
            values.map { InjectedSecret(name: $0.key, version: 1, value: SecretValue(unsafeFromString: $0.value)) })
    }

    func masked(_ text: String, _ values: [String: String] = ["KEY": secret]) -> String {
        masker(values).mask(text)
    }

    /// A `Basic` credential is base64("user:" + value): the value's base64 starts at any of the 3 byte offsets,
    /// depending on the length of the user name. At most the characters that mix in the user name's bits and the
    /// last 1 to 3 (a partial character and padding) may stay visible.
    @Test(arguments: ["u:", "us:", "use:", "user:", "admin:", "x"])
    func aValueInsideLongerBase64IsMaskedAtEveryOffset(_ user: String) {
        for alphabet in ["standard", "url-safe"] {
            var credential = Data((user + Self.secret).utf8).base64EncodedString()
            if alphabet == "url-safe" {
                credential = credential.replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                    of: "/", with: "_")
            }
            let text = "Authorization: Basic \(credential) end"
            let out = masked(text)
            guard let redacted = out.range(of: "[REDACTED:KEY]") else {
                Issue.record("not masked: \(alphabet) after \(user.count) bytes")
                continue
            }
            let before = out[..<redacted.lowerBound].dropFirst("Authorization: Basic ".count)
            let after = out[redacted.upperBound...].dropLast(" end".count)
            #expect(before.count <= (user.utf8.count * 8 + 5) / 6, "\(alphabet) after \(user.count): \(before)")
            #expect(after.count <= 3, "\(alphabet) after \(user.count): \(after)")
        }
    }

    @Test func aValueInsideLongerBase64IsMaskedInTheMiddleToo() {
        for prefix in ["a", "ab", "abc"] {
            let blob = Data((prefix + Self.secret + "-and-more-bytes-after-it").utf8).base64EncodedString()
            #expect(masked(blob).contains("[REDACTED:KEY]"), "after \(prefix.count) bytes")
        }
    }

    /// RFC 3986 leaves the hex digits' case open: `%2f` is `%2F`. Encoders differ in what they encode (a form body
    /// writes a space as `+`; `encodeURIComponent` leaves `!'()*` as they are).
    @Test func percentEncodingInEitherCaseAndAnySubsetIsMasked() {
        let upper = Self.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let lower = upper.replacingOccurrences(of: "%2F", with: "%2f").replacingOccurrences(of: "%2B", with: "%2b")
            .replacingOccurrences(of: "%3D", with: "%3d")
        let mixed = "sk-live-5ecret%2fValue%2B42%3d="
        for encoded in [upper, lower, mixed] {
            #expect(masked("GET /cb?token=\(encoded)&x=1") == "GET /cb?token=[REDACTED:KEY]&x=1", "\(encoded)")
        }
        let spaced = "correct horse battery staple"
        for encoded in [
            "correct+horse+battery+staple", "correct%20horse%20battery%20staple", "correct+horse+b%61ttery+staple",
        ] {
            #expect(masked("q=\(encoded)", ["PHRASE": spaced]) == "q=[REDACTED:PHRASE]", "\(encoded)")
        }
    }

    /// Text that holds JSON of its own (a tool result that is a JSON document) spells a quote, a backslash, a slash
    /// or a non-ASCII character of the value with an escape, which survives the outer parse.
    @Test(arguments: [
        #"{"token":"p\"a\\ss\/w\u00f6rd-9f3k"}"#, #"{"token":"p\u0022a\u005css/w\u00F6rd-9f3k"}"#,
        #"{"token":"p\"a\\ss/w\u00f6rd\u002d9f3k"}"#,
    ])
    func jsonEscapesInsideAStringAreMasked(_ document: String) {
        let out = masked(document, ["KEY": #"p"a\ss/wörd-9f3k"#])
        #expect(out == #"{"token":"[REDACTED:KEY]"}"#)
    }

    @Test func aSurrogatePairEscapeIsMasked() {
        #expect(masked(#"x \ud83d\udd11key-4f9a y"#, ["KEY": "🔑key-4f9a"]) == "x [REDACTED:KEY] y")
    }

    /// The broker skips the walk over a parsed answer only when the raw line cannot hold a form; every new form must
    /// make it walk.
    @Test func everyFormMakesTheRawLineSuspect() {
        let masker = masker(["KEY": Self.secret])
        let basic = Data(("user:" + Self.secret).utf8).base64EncodedString()
        let lower = "sk%2dlive-5ecret%2fValue%2b42%3d%3d"
        #expect(masker.mayOccur(inJSON: Array(#"{"text":"Basic \#(basic)"}"#.utf8)))
        #expect(masker.mayOccur(inJSON: Array(#"{"text":"t=\#(lower)"}"#.utf8)))
        #expect(!masker.mayOccur(inJSON: Array(#"{"text":"Basic dXNlcjpwYXNzd29yZA== t=a%2fb"}"#.utf8)))
    }

    /// Forms under 4 bytes are not masked: masking `a1b` would mangle any text that contains it. Its base64 (`YTFi`)
    /// is 4 bytes, and masked, as before.
    @Test func shortFormsAreLeftAlone() {
        #expect(masked("a1b and YTFi", ["PIN": "a1b"]) == "a1b and [REDACTED:PIN]")
        #expect(masked("a1b and YTFi", ["PIN": "a1"]) == "a1b and YTFi")
        #expect(masked("code a1b2", ["PIN": "a1b2"]) == "code [REDACTED:PIN]")
    }

    @Test func overlappingValuesAreMaskedWholeAndNamedAfterTheLongest() {
        let out = masked("x abcdefgh-ijkl y", ["SHORT": "defgh", "LONG": "abcdefgh-ijkl"])
        #expect(out == "x [REDACTED:LONG] y")
        #expect(masked("aaaaaaaaa", ["A": "aaaa"]) == "[REDACTED:A]")
    }

    /// A value that repeats itself, in a text made for it, makes the cheap checks look at each byte many times; the
    /// search then goes on with KMP and still finds what comes later.
    @Test func aSelfRepeatingValueIsFoundPastTheCheapChecks() {
        let value = String(repeating: "a", count: 60) + "b"
        let text = String(repeating: "a", count: 100_000) + "b tail"
        #expect(masked(text, ["REP": value]) == String(repeating: "a", count: 100_000 - 60) + "[REDACTED:REP] tail")
    }

    @Test func textWithoutAnyFormIsReturnedAsItIs() {
        let text = "plain %41 text with \\u0041 escapes and base64 QUJDRA=="
        #expect(masked(text) == text)
    }
}
