"""``/mcp``: the MCP tools over streamable HTTP, in the API's own ASGI app, with the same
bearer tokens as ``/api``; and the protected resource metadata (RFC 9728) that tells an MCP
client where those tokens come from.

Stateless (no MCP session is kept between requests) and answering JSON rather than event
streams, so that any process behind a load balancer can serve any request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from mcp.server import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from pydantic import BaseModel, Field
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from application.errors import IdentityProviderUnavailable, InvalidToken
from entrypoints.container import Container
from entrypoints.http.dependencies import provided
from entrypoints.http.limits import MAX_BODY_BYTES
from entrypoints.http.problems import (
    UNAUTHORIZED,
    MissingCredentials,
    bearer_challenge,
    error_response,
)
from entrypoints.http.rate_limit import RateLimited
from entrypoints.http.responses import JSON
from entrypoints.http.security import authenticate
from entrypoints.mcp.server import build_mcp_server
from entrypoints.presentation import dump_json
from entrypoints.settings import Settings

MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
# Where the endpoint leaves the verified caller for the tools (the request's ASGI scope).
_ACTING_USER = "todo_api.mcp_user"
# What authenticating a request may refuse it with: answered as on /api.
_REFUSED = (MissingCredentials, InvalidToken, IdentityProviderUnavailable, RateLimited)


class McpEndpoint:
    """The ASGI app at ``/mcp``: verifies the bearer token and counts the request against
    the user's rate limit (as ``/api`` does), then lets the SDK's session manager serve the
    request for that user. ``run()`` must be entered for the app's lifetime (its
    lifespan)."""

    def __init__(self, container: Container) -> None:
        self._verifier = container.token_verifier()
        self._limiter = container.rate_limiter()
        self._server = build_mcp_server(container, _acting_user)
        self._sessions: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """Keep the SDK's session manager running meanwhile. It runs in a task of its own:
        its task group must be left by the task that entered it, and a lifespan's start and
        end may run in different tasks (test harnesses do that)."""
        # A manager runs once; a new one per lifespan lets the app be started again.
        sessions = StreamableHTTPSessionManager(
            app=self._server,
            stateless=True,
            json_response=True,
            max_request_body_size=MAX_BODY_BYTES,
        )
        ready, stop = asyncio.Event(), asyncio.Event()

        async def serve() -> None:
            async with sessions.run():
                ready.set()
                await stop.wait()

        task = asyncio.create_task(serve())
        ready_wait = asyncio.create_task(ready.wait())
        await asyncio.wait({task, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready_wait.cancel()
            task.result()  # it failed to start: raise why
        self._sessions = sessions
        try:
            yield
        finally:
            self._sessions = None
            stop.set()
            await task

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            identity = await authenticate(request, self._verifier, self._limiter)
        except (
            MissingCredentials,
            InvalidToken,
            IdentityProviderUnavailable,
            RateLimited,
        ) as error:
            await (await _refusal(request, error))(scope, receive, send)
            return
        if self._sessions is None:
            raise RuntimeError("/mcp was called outside the app's lifespan")
        scope[_ACTING_USER] = identity.user_id
        await self._sessions.handle_request(scope, receive, send)


class McpRoute(Route):
    """``/mcp``, for POST only: a stateless server has no session to end (DELETE) and no
    message of its own to stream (GET would hold an idle event stream open for good), so
    both are 405, as the transport allows. It names itself in the scope for the access log,
    as FastAPI's routes do."""

    def __init__(self, endpoint: McpEndpoint) -> None:
        super().__init__(MCP_PATH, endpoint, methods=["POST"])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def _acting_user(ctx: ServerRequestContext[Any, Any]) -> str:
    request = ctx.request
    if not isinstance(request, Request) or _ACTING_USER not in request.scope:
        raise RuntimeError("an MCP request reached a tool without a verified caller")
    user_id: str = request.scope[_ACTING_USER]
    return user_id


async def _refusal(request: Request, error: Exception) -> Response:
    """``/api``'s problem for ``error`` (a 401, a 429, or the 503 of a key server that is
    down), a 401's challenge also naming the resource metadata."""
    response = await error_response(request, error)
    if response.status_code == UNAUTHORIZED.status:
        response.headers["WWW-Authenticate"] = bearer_challenge(
            *(("invalid_token", error.reason) if isinstance(error, InvalidToken) else ()),
            resource_metadata=_base_url(request) + METADATA_PATH,
        )
    return response


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class ProtectedResource(BaseModel):
    """OAuth 2.0 Protected Resource Metadata (RFC 9728 §2)."""

    resource: str = Field(description="The MCP endpoint's URL")
    authorization_servers: list[str] | None = Field(
        default=None, description="Better Auth's URL (BETTER_AUTH_URL), when it is set"
    )
    bearer_methods_supported: list[str]
    resource_name: str


metadata_router = APIRouter(tags=["mcp"])
AppSettings = Annotated[Settings, Depends(provided("settings"))]


@metadata_router.get(
    METADATA_PATH,
    operation_id="getProtectedResourceMetadata",
    summary="Protected resource metadata of /mcp (RFC 9728)",
    response_model=ProtectedResource,
    response_model_exclude_none=True,
)
@metadata_router.get(f"{METADATA_PATH}{MCP_PATH}", include_in_schema=False)
async def protected_resource(request: Request, settings: AppSettings) -> Response:
    document: dict[str, Any] = {
        "resource": _base_url(request) + MCP_PATH,
        "bearer_methods_supported": ["header"],
        "resource_name": "Todo API (MCP)",
    }
    if settings.better_auth_url:
        document["authorization_servers"] = [settings.better_auth_url]
    return Response(dump_json(document), media_type=JSON)
