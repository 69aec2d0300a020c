"""Database outages: fast 503s, honest probes, recovery without a restart, no lost writes.

The app (real container, real PostgreSQL) reaches the database through a TCP proxy the test
controls (``proxy.py``), which can refuse connections (the server is down), black-hole them
(accept, never answer: a hung server, a stuck pooler, a silent network) and restore them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.databases import through
from tests.e2e.helpers import assert_problem, new_user
from tests.http import app_client, auth, make_settings
from tests.reliability.conftest import assert_lock_waits_end
from tests.reliability.proxy import FaultProxy

pytestmark = pytest.mark.postgres

# Short limits so the test runs fast; production defaults are 5 s (docs/operations.md).
OPERATION_TIMEOUT = 1.5
# A request must be answered within this, whatever the fault (the limit plus slack).
ANSWER_WITHIN = OPERATION_TIMEOUT + 1.5


@pytest.fixture(scope="module")
def database(postgres_url: str) -> str:
    """The test database, with the server-side guard docs/operations.md recommends: a
    transaction whose client went silent (its connection hung mid-transaction, holding
    row locks) is ended by the server instead of blocking those rows until TCP gives up."""
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        name = connection.info.dbname
        connection.execute(
            sql.SQL("ALTER DATABASE {} SET idle_in_transaction_session_timeout = '3s'").format(
                sql.Identifier(name)
            )
        )
    return postgres_url


@pytest.fixture
async def client(database: str, proxy: FaultProxy) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        through(database, proxy.host, proxy.port),
        db_operation_timeout=OPERATION_TIMEOUT,
        db_connect_timeout=2,  # libpq's minimum
        db_pool_timeout=OPERATION_TIMEOUT,
    )
    async with app_client(settings) as http:
        yield http


def stored_ids(postgres_url: str) -> set[str]:
    """Every task id in the database, read directly (not through the proxy or the app)."""
    with psycopg.connect(postgres_url) as connection:
        return {str(row[0]) for row in connection.execute("SELECT id FROM tasks")}


async def timed(request: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


def assert_unavailable(response: httpx.Response, seconds: float) -> None:
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/service-unavailable"
    assert response.headers["retry-after"].isdigit()
    assert seconds < ANSWER_WITHIN, f"503 after {seconds:.1f}s"
    for leak in ("psycopg", "OperationalError", "SELECT", "127.0.0.1", "Traceback"):
        assert leak not in response.text


async def every_route_is_unavailable(client: httpx.AsyncClient, user: str, task_id: str) -> None:
    headers = auth(user)
    keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    requests = [
        lambda: client.get("/api/tasks", headers=headers),
        lambda: client.get("/api/tasks?sort=title&q=milk", headers=headers),
        lambda: client.post("/api/tasks", json={"title": "during the outage"}, headers=headers),
        lambda: client.get(f"/api/tasks/{task_id}", headers=headers),
        lambda: client.put(f"/api/tasks/{task_id}", json={"title": "new"}, headers=headers),
        lambda: client.patch(f"/api/tasks/{task_id}", json={"completed": True}, headers=headers),
        lambda: client.delete(f"/api/tasks/{task_id}", headers=headers),
        lambda: client.patch(f"/api/{user}/tasks/{task_id}/complete", headers=headers),
        lambda: client.post("/api/tasks", json={"title": "keyed"}, headers=keyed),
    ]
    # Concurrently, as real traffic would come: more requests than pooled connections.
    results = await asyncio.gather(*(timed(request()) for request in requests * 2))
    for response, seconds in results:
        assert_unavailable(response, seconds)


async def probes_say_not_ready(client: httpx.AsyncClient) -> None:
    ready, seconds = await timed(client.get("/readyz"))
    assert_unavailable(ready, seconds)
    live = await client.get("/healthz")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}


async def recovers(
    client: httpx.AsyncClient, user: str, within: float = 5.0, *, at_once: bool = False
) -> None:
    """The same app instance serves again once the database is back: no restart. With
    ``at_once``, the very first request after the fault succeeds."""
    deadline = time.monotonic() + within
    while (ready := await client.get("/readyz")).status_code != 200:
        assert not at_once, ready.text
        assert time.monotonic() < deadline, "/readyz did not recover"
        await asyncio.sleep(0.1)
    # Not just the probe: every kind of request works at once.
    created = await client.post("/api/tasks", json={"title": "after"}, headers=auth(user))
    assert created.status_code == 201, created.text
    listed = await client.get("/api/tasks", headers=auth(user))
    assert listed.status_code == 200
    assert created.json()["id"] in {task["id"] for task in listed.json()}


async def create(client: httpx.AsyncClient, user: str, title: str) -> str:
    response = await client.post("/api/tasks", json={"title": title}, headers=auth(user))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_database_down_gives_fast_503s_then_recovers(
    client: httpx.AsyncClient, proxy: FaultProxy, database: str
) -> None:
    user = new_user()
    before = [await create(client, user, f"before {i}") for i in range(5)]

    await proxy.refuse()  # every open connection reset, nothing listening
    await every_route_is_unavailable(client, user, before[0])
    await probes_say_not_ready(client)

    await proxy.restore()
    await recovers(client, user)
    after = [await create(client, user, f"after {i}") for i in range(5)]
    for task_id in before + after:
        response = await client.get(f"/api/tasks/{task_id}", headers=auth(user))
        assert response.status_code == 200, response.text
    assert set(before + after) <= stored_ids(database)


async def test_a_hung_database_gives_503s_within_the_time_limit_then_recovers(
    client: httpx.AsyncClient, proxy: FaultProxy, database: str
) -> None:
    user = new_user()
    before = [await create(client, user, f"before {i}") for i in range(5)]

    # Pooled connections freeze mid-stream and new ones are accepted but never answered:
    # only the app's own time limits can end these requests.
    await proxy.blackhole()
    await every_route_is_unavailable(client, user, before[0])
    await probes_say_not_ready(client)
    await every_route_is_unavailable(client, user, before[0])  # and again: no slow leak

    await proxy.restore()  # connections that hung stay hung: the app must drop them itself
    # Connections pooled before the timeouts are pinged with a deadline: the first one to
    # stay silent invalidates them all, and a fresh connection serves the request.
    await recovers(client, user, at_once=True)
    for task_id in before:
        response = await client.get(f"/api/tasks/{task_id}", headers=auth(user))
        assert response.status_code == 200, response.text
    assert set(before) <= stored_ids(database)


@dataclass
class Writer:
    """Creates tasks in a loop, each with its own Idempotency-Key, recording the outcomes."""

    client: httpx.AsyncClient
    user: str
    acknowledged: dict[str, str] = field(default_factory=dict)  # title -> id
    refused: dict[str, str] = field(default_factory=dict)  # title -> idempotency key
    unexpected: list[str] = field(default_factory=list)
    slowest: float = 0.0
    running: bool = True

    async def run(self, number: int) -> None:
        count = 0
        while self.running:
            count += 1
            title, key = f"w{number}-{count}", str(uuid.uuid4())
            started = time.perf_counter()
            response = await self.client.post(
                "/api/tasks",
                json={"title": title},
                headers={**auth(self.user), "Idempotency-Key": key},
            )
            self.slowest = max(self.slowest, time.perf_counter() - started)
            if response.status_code == 201:
                self.acknowledged[title] = response.json()["id"]
            elif response.status_code == 503:
                self.refused[title] = key
            else:
                self.unexpected.append(f"{response.status_code} {response.text}")
            await asyncio.sleep(0.005)

    async def acknowledge(self, more: int, within: float = 30.0) -> None:
        """Wait until ``more`` further creates were acknowledged: each phase of a test gets
        real traffic however slow the machine is, instead of a fixed share of time."""
        target = len(self.acknowledged) + more
        deadline = time.perf_counter() + within
        while len(self.acknowledged) < target:
            assert time.perf_counter() < deadline, f"only {len(self.acknowledged)} creates"
            await asyncio.sleep(0.01)


async def test_no_acknowledged_write_is_lost_across_outages(
    client: httpx.AsyncClient, proxy: FaultProxy, database: str
) -> None:
    """Writers keep creating while the database goes away and comes back, twice. Every 201
    is in the database afterwards; every 503 is safe to retry with its Idempotency-Key
    (the create may or may not have landed: the retry tells, and never makes a second)."""
    writer = Writer(client, new_user())
    writers = [asyncio.ensure_future(writer.run(number)) for number in range(4)]
    try:
        await writer.acknowledge(8)
        await proxy.refuse()
        await asyncio.sleep(0.8)
        await proxy.restore()
        await writer.acknowledge(8)
        await proxy.blackhole()
        await asyncio.sleep(OPERATION_TIMEOUT + 0.5)
        await proxy.restore()
        await writer.acknowledge(8)
    finally:
        writer.running = False
        await asyncio.gather(*writers)

    assert writer.unexpected == []
    assert writer.slowest < ANSWER_WITHIN
    assert len(writer.acknowledged) >= 24
    assert writer.refused, "the faults did not reach the writers"
    stored = stored_ids(database)
    lost = {title for title, task_id in writer.acknowledged.items() if task_id not in stored}
    assert not lost, f"acknowledged but lost: {sorted(lost)}"

    # A client retrying each refused create with its key (as Retry-After says) gets a 201
    # in the end, and exactly one task of that title exists. (A create cut off mid-way on a
    # hung connection may hold its key's row lock on the server until the server ends that
    # transaction; until then the retry answers 503 again, never a duplicate.)
    for title, key in writer.refused.items():
        deadline = time.monotonic() + 15
        while True:
            retry = await client.post(
                "/api/tasks",
                json={"title": title},
                headers={**auth(writer.user), "Idempotency-Key": key},
            )
            if retry.status_code != 503 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert retry.status_code == 201, retry.text
    with psycopg.connect(database) as connection:
        counts = dict(
            connection.execute(
                "SELECT title, count(*) FROM tasks WHERE user_id = %s GROUP BY title",
                (writer.user,),
            ).fetchall()
        )
    assert all(count == 1 for count in counts.values()), counts
    assert set(counts) == set(writer.acknowledged) | set(writer.refused)


async def test_a_statement_that_overruns_is_503_and_cancelled_on_the_server(
    client: httpx.AsyncClient, database: str
) -> None:
    """A write stuck behind a lock (or any slow statement) ends at the time limit, and the
    server stops running it: no piled-up backends, no late write."""
    user = new_user()
    task_id = await create(client, user, "locked")
    with psycopg.connect(database) as locker:
        locker.execute("SELECT * FROM tasks WHERE id = %s FOR UPDATE", (task_id,))
        response, seconds = await timed(
            client.patch(f"/api/tasks/{task_id}", json={"title": "late"}, headers=auth(user))
        )
        assert_unavailable(response, seconds)
        # The statement was cancelled on the server (psycopg's cancel request), not left
        # waiting for the lock.
        await assert_lock_waits_end(locker)
        locker.rollback()

    # The refused write never lands, and the task works normally again.
    current = await client.get(f"/api/tasks/{task_id}", headers=auth(user))
    assert current.json()["title"] == "locked"
    assert current.headers["etag"] == '"1"'
    response = await client.patch(
        f"/api/tasks/{task_id}", json={"title": "now"}, headers=auth(user)
    )
    assert response.status_code == 200, response.text
