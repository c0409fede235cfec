#!/usr/bin/env python3
"""Scripted MCP client for Sealgate's interoperability tests.

Runs under the `v2` venv (mcp 2.x: 2026-07-28 with fallback to the 2025 handshake) and the `v1` venv
(mcp 1.x: 2025-11-25 only); the installed SDK is detected at import time. Connects to one endpoint,
runs the steps given as a JSON list, and prints one JSON line per step on stdout (flushed), so a test
can read the outcome line by line. SDK logs go to stderr.

    python mcp_client.py --url http://127.0.0.1:PORT/ws/eng/mcp --token TOKEN \
        --transport streamable --mode auto --steps '[{"op":"info"},{"op":"list_tools"}]'

Exit status: 0 when every step ran (a step may still report an error), 2 on a connection failure
(`{"op":"fatal","error":...}`), 64 on bad arguments. See README.md for the step reference.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from contextlib import AsyncExitStack
from datetime import timedelta
from importlib.metadata import version as _package_version
from typing import Any

import anyio
from pydantic import ValidationError

MCP_VERSION = _package_version("mcp")
MCP_MAJOR = int(MCP_VERSION.split(".")[0])

if MCP_MAJOR >= 2:
    import httpx2 as httpx
    import mcp_types as types
    from mcp import Client
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.client.subscriptions import PromptsListChanged, ResourcesListChanged, ToolsListChanged
    from mcp.shared.exceptions import MCPError as SDKError
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS
else:
    import httpx
    from mcp import ClientSession, types
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import McpError as SDKError
    from pydantic import AnyUrl

    MODERN_PROTOCOL_VERSIONS = ()

KINDS = ("tools", "prompts", "resources")
NOTIFICATION_KIND = {f"notifications/{kind}/list_changed": kind for kind in KINDS}
EXIT_FATAL = 2
EXIT_USAGE = 64
GET_STREAM_WAIT_SECONDS = 5.0


class ConnectionFailure(Exception):
    """The connection itself failed: reported as `fatal`, exit 2."""


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


def dump(model: Any) -> Any:
    """A pydantic model (either SDK) as its JSON wire form, without null fields."""
    if model is None:
        return None
    if hasattr(model, "model_dump"):
        return model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return model


def leaf_exception(exc: BaseException) -> BaseException:
    """The first meaningful exception inside (possibly nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        exc = (inner or list(exc.exceptions))[0]
    return exc


def describe(exc: BaseException) -> str:
    exc = leaf_exception(exc)
    if isinstance(exc, SDKError):
        return f"MCP error {exc.error.code}: {exc.error.message}"
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        return f"ValidationError: {exc.title}: {problems}"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.method} {exc.request.url}"
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"


def is_connection_failure(exc: BaseException) -> bool:
    exc = leaf_exception(exc)
    return isinstance(
        exc,
        (
            ConnectionFailure,
            httpx.TransportError,
            httpx.HTTPStatusError,
            anyio.ClosedResourceError,
            anyio.BrokenResourceError,
            anyio.EndOfStream,
            ConnectionError,
        ),
    )


def error_fields(exc: BaseException) -> dict[str, Any]:
    """The `error` member of a step line: JSON-RPC errors keep their code, anything else has code null."""
    exc = leaf_exception(exc)
    if isinstance(exc, SDKError):
        err: dict[str, Any] = {"code": exc.error.code, "message": exc.error.message}
        if exc.error.data is not None:
            err["data"] = exc.error.data
        return {"error": err}
    if isinstance(exc, TimeoutError):
        return {"error": {"code": None, "message": "timed out waiting for the response"}}
    return {"error": {"code": None, "message": describe(exc)}}


def joined_text(contents: Any) -> str:
    return "\n".join(c.text for c in contents or [] if getattr(c, "type", None) == "text")


class ChangeTracker:
    """Records list_changed notifications per kind since the kind was last armed."""

    def __init__(self) -> None:
        self.events = {kind: anyio.Event() for kind in KINDS}
        self.armed: set[str] = set()
        self.strays: set[str] = set()
        self.lost: str | None = None

    def reset(self, kind: str) -> None:
        self.events[kind] = anyio.Event()
        self.strays.discard(kind)
        self.armed.add(kind)

    def record(self, kind: str) -> None:
        self.events[kind].set()



class Runner:
    """Owns the session for one run; subclasses adapt the SDK generation."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        self.changes = ChangeTracker()
        self.get_stream_open = anyio.Event()
        self.logs: list[dict[str, Any]] = []
        self.log_arrived = anyio.Event()
        self.stack = AsyncExitStack()
        self.task_group: anyio.abc.TaskGroup | None = None

    # HTTP client with a hook that notices the legacy standalone GET stream being accepted.
    async def _on_response(self, response: Any) -> None:
        if response.request.method == "GET" and response.status_code == 200:
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                self.get_stream_open.set()

    def http_client(self, headers: dict[str, str] | None = None, auth: Any = None, timeout: Any = None) -> Any:
        merged = dict(self.headers)
        merged.update(headers or {})
        return httpx.AsyncClient(
            headers=merged,
            auth=auth,
            timeout=timeout or httpx.Timeout(30.0, read=300.0),
            event_hooks={"response": [self._on_response]},
        )

    async def on_message(self, message: Any) -> None:
        if isinstance(message, Exception):
            logging.getLogger("mcp_client").warning("transport reported: %s", describe(message))
            return
        notification = getattr(message, "root", message)
        method = getattr(notification, "method", None)
        logging.getLogger("mcp_client").info("notification %s", method)
        if method == "notifications/message":
            self.logs.append(dump(notification.params))
            self.log_arrived.set()
            return
        kind = NOTIFICATION_KIND.get(method or "")
        if kind is None:
            return
        if self.modern:
            # 2026 era: only events the SDK routed to our listen stream (matching subscriptionId) count;
            # the SDK tees every notification here too, so remember strays for the wait's diagnostics.
            self.changes.strays.add(kind)
        else:
            self.changes.record(kind)

    # Requests from the server, answered as the command line says (and only declared when it says so).
    async def on_elicitation(self, context: Any, params: Any) -> Any:
        return types.ElicitResult(action="accept", content={"answer": self.args.elicitation_answer})

    async def on_sampling(self, context: Any, params: Any) -> Any:
        text = types.TextContent(type="text", text=self.args.sampling_answer)
        return types.CreateMessageResult(role="assistant", content=text, model="interop-model")

    async def on_list_roots(self, context: Any) -> Any:
        return types.ListRootsResult(roots=[types.Root(uri=uri) for uri in self.args.roots.split(",")])

    def server_request_callbacks(self) -> dict[str, Any]:
        callbacks: dict[str, Any] = {}
        if self.args.elicitation_answer is not None:
            callbacks["elicitation_callback"] = self.on_elicitation
        if self.args.sampling_answer is not None:
            callbacks["sampling_callback"] = self.on_sampling
        if self.args.roots is not None:
            callbacks["list_roots_callback"] = self.on_list_roots
        return callbacks

    # Era-specific hooks.
    async def connect(self) -> None:
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def modern(self) -> bool:
        return False

    async def ensure_listening(self) -> None:
        """Make sure list_changed notifications can reach this client before the harness triggers one."""
        if self.args.transport == "streamable" and not self.modern:
            with anyio.move_on_after(GET_STREAM_WAIT_SECONDS):
                await self.get_stream_open.wait()
            if not self.get_stream_open.is_set():
                logging.getLogger("mcp_client").warning("the standalone GET stream is not open; notifications may be lost")

    # Steps.
    async def run_steps(self, steps: list[dict[str, Any]]) -> None:
        for step in steps:
            op = step.get("op")
            handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
            if handler is None:
                emit({"op": op, "error": {"code": None, "message": f"unknown op {op!r}"}})
                continue
            try:
                # No overall deadline here: anyio scopes must nest, and a step may enter a long-lived
                # context (the listen stream). Each request is bounded by the SDK's read timeout.
                line = await handler(step)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a line
                if is_connection_failure(exc):
                    raise
                line = {"op": op, **error_fields(exc)}
            if line is not None:
                emit(line)

    async def op_info(self, step: dict[str, Any]) -> dict[str, Any]:
        return {"op": "info", **self.info()}

    async def op_pause_for_stdin(self, step: dict[str, Any]) -> None:
        emit({"op": "paused"})
        await anyio.to_thread.run_sync(sys.stdin.readline, abandon_on_cancel=True)
        return None

    async def op_arm_list_changed(self, step: dict[str, Any]) -> dict[str, Any]:
        kind = step.get("kind", "tools")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        try:
            await self.ensure_listening()
        except Exception as exc:  # noqa: BLE001
            if is_connection_failure(exc):
                raise
            return {"op": "armed", **error_fields(exc)}
        self.changes.reset(kind)
        return {"op": "armed"}

    async def op_wait_list_changed(self, step: dict[str, Any]) -> dict[str, Any]:
        kind = step.get("kind", "tools")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if kind not in self.changes.armed:
            await self.ensure_listening()
            self.changes.reset(kind)
        started = time.monotonic()
        event = self.changes.events[kind]
        with anyio.move_on_after(float(step.get("timeout", 5))):
            await event.wait()
        line: dict[str, Any] = {
            "op": "wait_list_changed",
            "received": event.is_set(),
            "elapsedMs": int((time.monotonic() - started) * 1000),
        }
        if not event.is_set() and self.changes.lost:
            line["error"] = {"code": None, "message": self.changes.lost}
        elif not event.is_set() and kind in self.changes.strays:
            line["error"] = {
                "code": None,
                "message": f"a notifications/{kind}/list_changed arrived without this listen stream's subscriptionId",
            }
        # Consumed: the next wait for this kind needs a new notification.
        self.changes.armed.discard(kind)
        return line

    async def op_set_logging_level(self, step: dict[str, Any]) -> dict[str, Any]:
        # Log messages of a 2025-era Streamable HTTP session arrive on its GET stream: have it open first.
        await self.ensure_listening()
        await self.api().set_logging_level(step["level"])
        return {"op": "set_logging_level", "ok": True}

    async def op_wait_log(self, step: dict[str, Any]) -> dict[str, Any]:
        """Waits for a log message whose data contains `contains`; reports it and every log seen so far."""
        wanted = step["contains"]
        started = time.monotonic()
        deadline = started + float(step.get("timeout", 5))
        found = None
        while found is None and time.monotonic() < deadline:
            found = next((log for log in self.logs if wanted in str(log.get("data"))), None)
            if found is None:
                self.log_arrived = anyio.Event()
                with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                    await self.log_arrived.wait()
        return {
            "op": "wait_log",
            "received": found is not None,
            "log": found,
            "seen": [str(log.get("data")) for log in self.logs],
            "elapsedMs": int((time.monotonic() - started) * 1000),
        }

    # The operations, the same for both SDKs; subclasses say how to reach the SDK (api, fetch_page, uri).

    async def _all_pages(self, fetch: Any, attribute: str) -> tuple[list[Any], int]:
        items: list[Any] = []
        cursor = None
        pages = 0
        while True:
            page, cursor = await self.fetch_page(fetch, cursor)
            pages += 1
            items.extend(getattr(page, attribute))
            if not cursor or pages >= 1000:
                return items, pages

    async def _list(self, op: str, method: str, attribute: str, key: str) -> dict[str, Any]:
        items, pages = await self._all_pages(getattr(self.api(), method), attribute)
        return {"op": op, key: [dump(item) for item in items], "pages": pages}

    async def op_list_tools(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._list("list_tools", "list_tools", "tools", "tools")

    async def op_list_prompts(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._list("list_prompts", "list_prompts", "prompts", "prompts")

    async def op_list_resources(self, step: dict[str, Any]) -> dict[str, Any]:
        return await self._list("list_resources", "list_resources", "resources", "resources")

    async def op_list_resource_templates(self, step: dict[str, Any]) -> dict[str, Any]:
        attribute = "resource_templates" if MCP_MAJOR >= 2 else "resourceTemplates"
        return await self._list(
            "list_resource_templates", "list_resource_templates", attribute, "resourceTemplates")

    async def op_call_tool(self, step: dict[str, Any]) -> dict[str, Any]:
        return call_tool_line(await self.api().call_tool(step["name"], step.get("arguments") or {}))

    async def op_get_prompt(self, step: dict[str, Any]) -> dict[str, Any]:
        return get_prompt_line(await self.api().get_prompt(step["name"], step.get("arguments") or None))

    async def op_read_resource(self, step: dict[str, Any]) -> dict[str, Any]:
        return read_resource_line(await self.api().read_resource(self.uri(step["uri"])))

    async def op_ping(self, step: dict[str, Any]) -> dict[str, Any]:
        await self.api().send_ping()
        return {"op": "ping", "ok": True}


class ModernSDKRunner(Runner):
    """mcp 2.x `Client`: auto (discover, fall back to initialize), legacy, modern (discover, no fallback), pinned."""

    client: Any = None
    subscription: Any = None

    @property
    def modern(self) -> bool:
        try:
            return self.client.session.protocol_version in MODERN_PROTOCOL_VERSIONS
        except (AttributeError, RuntimeError):  # not connected yet
            return False

    async def connect(self) -> None:
        args = self.args
        if args.transport == "sse":
            transport = sse_client(
                args.url,
                headers=self.headers,
                httpx_client_factory=lambda headers=None, timeout=None, auth=None: self.http_client(
                    headers, auth, timeout
                ),
            )
        else:
            http = await self.stack.enter_async_context(self.http_client())
            transport = streamable_http_client(args.url, http_client=http)
        mode = {"auto": "auto", "legacy": "legacy"}.get(args.mode, MODERN_PROTOCOL_VERSIONS[-1])
        self.client = Client(
            transport,
            mode=mode,
            cache=None,  # every list call reaches the gateway
            read_timeout_seconds=args.timeout,
            message_handler=self.on_message,
            **self.server_request_callbacks(),
        )
        await self.stack.enter_async_context(self.client)
        if args.mode == "modern":
            # Strict modern: probe server/discover and adopt its answer; an error is fatal (no fallback).
            session = self.client.session
            raw = await session.send_discover(MODERN_PROTOCOL_VERSIONS[-1])
            session.adopt(types.DiscoverResult.model_validate(raw))

    def info(self) -> dict[str, Any]:
        session = self.client.session
        out: dict[str, Any] = {
            "protocolVersion": session.protocol_version,
            "serverInfo": dump(session.server_info),
            "capabilities": dump(session.server_capabilities),
            "era": "modern" if self.modern else "legacy",
            "sdk": MCP_VERSION,
        }
        if session.instructions is not None:
            out["instructions"] = session.instructions
        discovered = session.discover_result
        if discovered is not None and self.args.mode != "pinned":
            out["supportedVersions"] = list(discovered.supported_versions)
            out["ttlMs"] = discovered.ttl_ms
            out["cacheScope"] = discovered.cache_scope
        return out

    async def ensure_listening(self) -> None:
        if not self.modern:
            await super().ensure_listening()
            return
        if self.subscription is not None and self.changes.lost is None:
            return
        self.changes.lost = None
        self.subscription = await self.stack.enter_async_context(
            self.client.listen(tools_list_changed=True, prompts_list_changed=True, resources_list_changed=True)
        )
        assert self.task_group is not None
        self.task_group.start_soon(self._drain_subscription, self.subscription)

    async def _drain_subscription(self, subscription: Any) -> None:
        kinds = {ToolsListChanged: "tools", PromptsListChanged: "prompts", ResourcesListChanged: "resources"}
        try:
            async for event in subscription:
                kind = kinds.get(type(event))
                if kind is not None:
                    self.changes.record(kind)
            self.changes.lost = "the server ended the subscriptions/listen stream"
        except Exception as exc:  # noqa: BLE001 - reported by the next wait
            self.changes.lost = describe(exc)

    async def fetch_page(self, fetch: Any, cursor: Any) -> tuple[Any, Any]:
        page = await fetch(cursor=cursor)
        return page, page.next_cursor

    def api(self) -> Any:
        return self.client

    def uri(self, text: str) -> Any:
        return text


class LegacySDKRunner(Runner):
    """mcp 1.x `ClientSession`: the 2025-11-25 handshake over Streamable HTTP or HTTP+SSE."""

    session: Any = None
    init: Any = None

    async def connect(self) -> None:
        args = self.args
        if args.mode not in ("auto", "legacy"):
            raise ConnectionFailure(f"mode {args.mode!r} needs mcp 2.x; mcp {MCP_VERSION} speaks only the 2025 handshake")
        if args.transport == "sse":
            transport = sse_client(
                args.url,
                headers=self.headers,
                httpx_client_factory=lambda headers=None, timeout=None, auth=None: self.http_client(
                    headers, auth, timeout
                ),
            )
            read, write = await self.stack.enter_async_context(transport)
        else:
            http = await self.stack.enter_async_context(self.http_client())
            read, write, _ = await self.stack.enter_async_context(streamable_http_client(args.url, http_client=http))
        self.session = await self.stack.enter_async_context(
            ClientSession(
                read,
                write,
                read_timeout_seconds=timedelta(seconds=args.timeout),
                message_handler=self.on_message,
                **self.server_request_callbacks(),
            )
        )
        self.init = await self.session.initialize()

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "protocolVersion": self.init.protocolVersion,
            "serverInfo": dump(self.init.serverInfo),
            "capabilities": dump(self.init.capabilities),
            "era": "legacy",
            "sdk": MCP_VERSION,
        }
        if self.init.instructions is not None:
            out["instructions"] = self.init.instructions
        return out

    async def fetch_page(self, fetch: Any, cursor: Any) -> tuple[Any, Any]:
        page = await fetch(params=types.PaginatedRequestParams(cursor=cursor) if cursor else None)
        return page, page.nextCursor

    def api(self) -> Any:
        return self.session

    def uri(self, text: str) -> Any:
        return AnyUrl(text)


def call_tool_line(result: Any) -> dict[str, Any]:
    structured = getattr(result, "structured_content", None) if MCP_MAJOR >= 2 else result.structuredContent
    is_error = result.is_error if MCP_MAJOR >= 2 else result.isError
    return {"op": "call_tool", "isError": bool(is_error), "text": joined_text(result.content), "structured": structured}


def get_prompt_line(result: Any) -> dict[str, Any]:
    messages = [dump(m) for m in result.messages]
    text = "\n".join(m.content.text for m in result.messages if getattr(m.content, "type", None) == "text")
    return {"op": "get_prompt", "description": result.description, "messages": messages, "text": text}


def read_resource_line(result: Any) -> dict[str, Any]:
    contents = [dump(c) for c in result.contents]
    text = "\n".join(c["text"] for c in contents if "text" in c)
    return {"op": "read_resource", "contents": contents, "text": text}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="MCP endpoint (Streamable HTTP) or SSE endpoint (HTTP+SSE)")
    parser.add_argument("--token", default="", help="sent as 'Authorization: Bearer TOKEN'; empty sends none")
    parser.add_argument("--transport", choices=("streamable", "sse"), default="streamable")
    parser.add_argument(
        "--mode",
        choices=("auto", "legacy", "modern", "pinned"),
        default="auto",
        help="auto: discover, fall back to initialize; legacy: initialize only; modern: discover, no fallback; "
        "pinned: 2026-07-28 with no negotiation request at all (mcp 2.x only for modern/pinned)",
    )
    parser.add_argument("--steps", default='[{"op":"info"}]', help="JSON list of steps")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for each response")
    parser.add_argument("--verbose", action="store_true", help="SDK debug logs on stderr")
    parser.add_argument("--elicitation-answer", help="declare elicitation; accept every request with this answer")
    parser.add_argument("--sampling-answer", help="declare sampling; answer every request with this text")
    parser.add_argument("--roots", help="declare roots; comma-separated root URIs to list")
    return parser.parse_args(argv)


async def amain(args: argparse.Namespace, steps: list[dict[str, Any]]) -> int:
    runner: Runner = ModernSDKRunner(args) if MCP_MAJOR >= 2 else LegacySDKRunner(args)
    try:
        # The task group encloses the exit stack so the SDK's own scopes nest inside it.
        async with anyio.create_task_group() as tg:
            runner.task_group = tg
            async with runner.stack:
                await runner.connect()
                await runner.run_steps(steps)
            tg.cancel_scope.cancel()
    except Exception as exc:  # noqa: BLE001 - the connection failed: one fatal line
        emit({"op": "fatal", "error": describe(exc)})
        return EXIT_FATAL
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not args.verbose:
        # Deprecation notices (ping, HTTP+SSE) would only clutter stderr in test logs.
        warnings.simplefilter("ignore", DeprecationWarning)
        if MCP_MAJOR >= 2:
            from mcp.shared.exceptions import MCPDeprecationWarning

            warnings.simplefilter("ignore", MCPDeprecationWarning)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if args.verbose else logging.WARNING,
        format="mcp_client %(levelname)s %(name)s: %(message)s",
    )
    try:
        steps = json.loads(args.steps)
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            raise ValueError("--steps must be a JSON list of objects")
    except ValueError as exc:
        emit({"op": "fatal", "error": f"bad --steps: {exc}"})
        return EXIT_USAGE
    if args.mode in ("modern", "pinned") and MCP_MAJOR < 2:
        emit({"op": "fatal", "error": f"--mode {args.mode} needs mcp 2.x; this venv has mcp {MCP_VERSION}"})
        return EXIT_USAGE
    return anyio.run(amain, args, steps)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
