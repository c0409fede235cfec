#!/usr/bin/env python3
"""The demo's second MCP server, built with the official MCP Python SDK (mcp 2.x, the venv scripts/interop-venv
makes): a signing service whose key Sealgate injects as SIGNING_KEY. It shows the three things Sealgate does with a
secret: the server uses it (sign), a rotation reaches it (key_fingerprint changes after `secrets set`), and when a
server sends it back anyway (reveal_key), the gateway masks it as [REDACTED:SIGNING_KEY] before any client sees it.
"""
import hashlib
import hmac
import os
import sys

from mcp.server.mcpserver import MCPServer

KEY = os.environ.get("SIGNING_KEY", "")
if not KEY:
    sys.exit("SIGNING_KEY is not set: add it with `sealgate secrets set signer SIGNING_KEY --workspace demo`")

server = MCPServer("signer", instructions="Signs text with a key the server never shows to the client.")


@server.tool()
def sign(text: str) -> str:
    """HMAC-SHA256 of text under the signing key, in hex."""
    return hmac.new(KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


@server.tool()
def key_fingerprint() -> str:
    """The first 12 hex digits of the signing key's SHA-256: which key is in use, without the key."""
    return hashlib.sha256(KEY.encode()).hexdigest()[:12]


@server.tool()
def reveal_key() -> str:
    """Returns the signing key itself: a careless server. Sealgate masks it on the way out."""
    return f"the signing key is {KEY}"


if __name__ == "__main__":
    server.run("stdio")
