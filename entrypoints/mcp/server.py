"""The MCP server (the SDK's low-level ``Server``): the tools of ``entrypoints.mcp.tools`` on
the application's container, acting for the user a transport names (the verified token's
subject over HTTP, ``--user`` over stdio)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from entrypoints.container import Container
from entrypoints.mcp.tools import TOOLS, UnknownTool, call_tool

INSTRUCTIONS = (
    "The signed-in user's todo list. Every tool acts for that user only. Use list_tasks to"
    " find task ids; results carry each task's version, which update_task, complete_task and"
    " delete_task accept to act only if nobody changed the task meanwhile."
)
# The user a request acts for, as its transport established it.
ActingUser = Callable[[ServerRequestContext[Any, Any]], str]


def build_mcp_server(container: Container, acting_user: ActingUser) -> Server[Any]:
    descriptions = [tool.describe() for tool in TOOLS]

    async def list_tools(
        _ctx: ServerRequestContext[Any, Any], _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=descriptions)

    async def on_call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            return await call_tool(container, acting_user(ctx), params.name, params.arguments or {})
        except UnknownTool as error:
            raise MCPError(types.INVALID_PARAMS, f"no tool is named {error}") from None

    return Server(
        "todo-api",
        version="1.0.0",
        title="Todo API",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=on_call_tool,
    )
