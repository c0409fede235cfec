#!/usr/bin/env python3
"""A 2025-era stdio MCP server for the gateway's JSON fidelity test (standard library only).

Its one tool's inputSchema is written here as raw JSON text holding `1.0`, `18446744073709551615` and keys out of
alphabetical order, and `tools/call` answers with the raw text of the arguments it received, so a test can compare
bytes at both ends. It never parses and re-serialises what it sends back."""
import json
import sys

SCHEMA = ('{"type":"object","properties":{"zeta":{"type":"number","default":1.0},'
          '"alpha":{"type":"integer","maximum":18446744073709551615}},"required":["zeta"]}')


def send(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    rid = json.dumps(message["id"])
    method = message["method"]
    if method == "initialize":
        send('{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},'
             '"serverInfo":{"name":"fidelity","version":"1"}}}' % rid)
    elif method == "tools/list":
        send('{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"exact","description":"raw schema",'
             '"inputSchema":%s}]}}' % (rid, SCHEMA))
    elif method == "tools/call":
        # The arguments exactly as they arrived: find their raw text in the line rather than re-serialising.
        start = line.index('"arguments":') + len('"arguments":')
        depth, end = 0, start
        for index in range(start, len(line)):
            if line[index] == "{":
                depth += 1
            elif line[index] == "}":
                depth -= 1
                if depth == 0:
                    end = index + 1
                    break
        send('{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":%s}]}}'
             % (rid, json.dumps(line[start:end])))
    else:
        send('{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}' % rid)
