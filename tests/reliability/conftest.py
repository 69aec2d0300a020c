"""Fixtures for the reliability tests: fault proxies, database URLs through them (the app
and its ``client`` fixtures are in tests/http.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from adapters.sql.deadline import settle
from tests.databases import server_url
from tests.reliability.proxy import FaultProxy


async def assert_lock_waits_end(connection: psycopg.Connection, within: float = 10) -> None:
    """Within ``within`` seconds, no statement of this database waits on a lock any more:
    one the app gave up on was cancelled on the server, not left running."""
    deadline = time.monotonic() + within
    while True:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if row == (0,):
            return
        assert time.monotonic() < deadline, "the statement kept running on the server"
        await asyncio.sleep(0.1)


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
