"""The MCP tools over stdio (``todo-admin mcp --user ID``), for an agent on the same machine:
one connection, acting for the user the operator named."""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from entrypoints.container import Container
from entrypoints.mcp.server import build_mcp_server


async def serve_stdio(container: Container, user_id: str) -> None:
    """Serve until the client closes stdin."""
    server = build_mcp_server(container, lambda _ctx: user_id)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
