"""MCP clients (the official SDK's own) on the real app, for the MCP tests: over streamable
HTTP in-process, beside a REST client on the same app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
from fastapi import FastAPI
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings
from tests.http import token_for

BASE_URL = "http://testserver"


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app on these settings, its lifespan running."""
    app = create_app(build_container(settings))
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def mcp_session(app: FastAPI, user_id: str | None) -> AsyncIterator[Client]:
    """An MCP client connected to the app's ``/mcp`` with ``user_id``'s token (none: no
    ``Authorization`` header)."""
    headers = {} if user_id is None else {"Authorization": f"Bearer {token_for(user_id)}"}
    transport = httpx2.ASGITransport(app=app)
    async with (
        httpx2.AsyncClient(transport=transport, base_url=BASE_URL, headers=headers) as http,
        Client(streamable_http_client(f"{BASE_URL}/mcp", http_client=http)) as client,
    ):
        yield client


@asynccontextmanager
async def rest_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


def structured(result: CallToolResult) -> Any:
    """A successful call's structured content (its JSON text block says the same)."""
    assert not result.is_error, result.content
    return result.structured_content


def refusal(result: CallToolResult) -> str:
    """A refused call's one-line message."""
    assert result.is_error, result
    assert result.structured_content is None
    assert len(result.content) == 1
    text = result.content[0].text  # type: ignore[union-attr]
    assert "\n" not in text, text
    assert "Traceback" not in text, text
    return str(text)
