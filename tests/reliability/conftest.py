"""Fixtures for the reliability tests: apps built on the real container, fault proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy.engine import make_url

from adapters.sql.deadline import settle
from entrypoints.container import build_container
from entrypoints.http.factory import create_app
from entrypoints.settings import Settings
from tests.databases import server_url
from tests.reliability.proxy import FaultProxy


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (real container, lifespan run) behind an in-process HTTP client."""
    app = create_app(build_container(settings))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http


def through(url: str, host: str, port: int) -> str:
    """The same database URL, reached at another address (a proxy, a pooler)."""
    return make_url(url).set(host=host, port=port).render_as_string(hide_password=False)


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    """A fault-injecting TCP proxy in front of the PostgreSQL server."""
    server = make_url(server_url())
    fault_proxy = FaultProxy(server.host or "127.0.0.1", server.port or 5432)
    await fault_proxy.start()
    try:
        yield fault_proxy
    finally:
        await fault_proxy.stop()
        # Operations cancelled during a fault end once their connections are closed.
        await settle(15)
