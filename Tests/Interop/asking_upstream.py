#!/usr/bin/env python3
"""A 2025-era stdio MCP server built with the official SDK's FastMCP (run it with the `v1` venv), whose tools ask
their client: `ask` elicits an answer, `sample` asks for a sampled message, `roots` lists the client's roots.
The gateway's tests drive real SDK clients through Sealgate against it."""
from mcp.server.fastmcp import Context, FastMCP
from mcp.types import SamplingMessage, TextContent
from pydantic import BaseModel

server = FastMCP("asking")


class Reply(BaseModel):
    answer: str


@server.tool()
async def ask(question: str, ctx: Context) -> str:
    """Elicits an answer to question from the user."""
    result = await ctx.elicit(message=question, schema=Reply)
    return f"{result.action}: {result.data.answer}" if result.action == "accept" else result.action


@server.tool()
async def sample(prompt: str, ctx: Context) -> str:
    """Asks the client's model to answer prompt."""
    result = await ctx.session.create_message(
        messages=[SamplingMessage(role="user", content=TextContent(type="text", text=prompt))], max_tokens=50
    )
    return f"{result.model}: {result.content.text}"


@server.tool()
async def roots(ctx: Context) -> str:
    """The client's roots, one URI per line."""
    result = await ctx.session.list_roots()
    return "\n".join(str(root.uri) for root in result.roots)


if __name__ == "__main__":
    server.run("stdio")
