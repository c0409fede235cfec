#!/usr/bin/env python3
"""Generates the known-answer vectors for Sealgate's sealed format, independently of the Swift code.

XChaCha20-Poly1305 (IETF) is built here from HChaCha20 (written out below) and the `cryptography`
package's ChaCha20-Poly1305, and the additional data is laid out from the format described in
docs/architecture.md. Run once and commit the output:

    python3 scripts/kat-vectors.py > Tests/VaultTests/Fixtures/kat-vectors.json
"""
import hashlib
import json
import struct
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

ROOT = Path(__file__).resolve().parent.parent
KEY_FILE = ROOT / "keys" / "TEST-ONLY-kat.key"


def rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & 0xFFFFFFFF; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & 0xFFFFFFFF; s[b] = rotl(s[b] ^ s[c], 7)


def hchacha20(key, nonce16):
    s = list(struct.unpack("<4I", b"expand 32-byte k")) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13); quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12); quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_seal(key, nonce24, plaintext, ad):
    subkey = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\0\0\0\0" + nonce24[16:], plaintext, ad)


def field(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def header(term):
    return b"\x01" + struct.pack(">I", term)


def vector(name, key, term, nonce, plaintext, ad):
    blob = header(term) + nonce + xchacha_seal(key, nonce, plaintext, header(term) + ad)
    return {"name": name, "keyTerm": term, "nonce": nonce.hex(), "plaintext": plaintext.hex(),
            "associatedData": ad.hex(), "blob": blob.hex()}


def main():
    raw = KEY_FILE.read_bytes()
    assert raw[:4] == b"SGK1" and len(raw) == 40
    key = raw[8:]
    nonce = bytes(range(0x40, 0x58))
    vectors = [
        vector("secret", key, 3, nonce, b"ghp_known_answer_value",
               b"sealgate/secret/v1" + struct.pack(">q", 42) + field("github") + field("GITHUB_TOKEN") + struct.pack(">q", 7)),
        vector("data-key", key, 2, bytes(reversed(nonce)), bytes(range(0xA0, 0xC0)),
               b"sealgate/dek/v1" + struct.pack(">q", 42) + struct.pack(">I", 5)),
        vector("root", key, 1, bytes(24), hashlib.sha256(b"root").digest(), b"sealgate/root/v1"),
    ]
    print(json.dumps({"keyFile": "keys/TEST-ONLY-kat.key", "vectors": vectors}, indent=2))


if __name__ == "__main__":
    main()
