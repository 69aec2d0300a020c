"""Through a real PgBouncer in transaction mode, as on Neon's pooled endpoint.

A transaction pooler hands each transaction to whichever server connection is free, so a
statement psycopg prepared on one server connection is missing on the next. The service
must work through it with prepared statements off (``DB_PREPARED_STATEMENTS=false``, or
automatically for a ``-pooler`` host), and this test shows the setting is what makes the
difference. It also checks the time limits hold through the pooler.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.databases import through
from tests.e2e.helpers import assert_problem, new_user
from tests.http import app_client, auth, make_settings
from tests.reliability.conftest import assert_lock_waits_end
from tests.reliability.pgbouncer import PgBouncer, running_pgbouncer
from tests.reliability.proxy import FaultProxy

pytestmark = pytest.mark.postgres

USERS = 20
ROUNDS = 8


@pytest.fixture(scope="module")
def pgbouncer(postgres_url: str) -> Iterator[PgBouncer]:
    # postgres_url first: the server must be up (or the test fails under CI) before PgBouncer.
    with running_pgbouncer(pool_size=3) as bouncer:
        yield bouncer


@pytest.fixture(scope="module")
def pooled_url(postgres_url: str, pgbouncer: PgBouncer) -> str:
    return through(postgres_url, pgbouncer.host, pgbouncer.port)


def server_connections(postgres_url: str) -> int:
    """Backends of the test database other than ours: PgBouncer's server connections."""
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def workload(client: httpx.AsyncClient) -> tuple[list[httpx.Response], dict[str, set[str]]]:
    """USERS concurrent users: each creates tasks back to back, then lists, reads and edits
    them. (Back-to-back writes matter: psycopg prepares a statement once a connection has
    run it 5 times, and forgets them all at a ROLLBACK, which ends every read.)"""
    responses: list[httpx.Response] = []
    created: dict[str, set[str]] = {}

    async def one_user(user: str) -> None:
        headers = auth(user)
        created[user] = set()
        for number in range(ROUNDS):
            response = await client.post(
                "/api/tasks", json={"title": f"task {number}"}, headers=headers
            )
            responses.append(response)
            if response.status_code == 201:
                created[user].add(response.json()["id"])
        for task_id in sorted(created[user]):
            responses.append(await client.get("/api/tasks?limit=2&sort=title", headers=headers))
            responses.append(await client.get(f"/api/tasks/{task_id}", headers=headers))
            responses.append(
                await client.patch(
                    f"/api/tasks/{task_id}", json={"completed": True}, headers=headers
                )
            )

    await asyncio.gather(*(one_user(new_user()) for _ in range(USERS)))
    return responses, created


async def test_the_service_works_through_any_pooler_with_no_setting_at_all(
    pooled_url: str, postgres_url: str, pgbouncer: PgBouncer
) -> None:
    """PgBouncer in transaction mode on a plain host and port (self-hosted, Supabase's
    6543): nothing in the URL says it is a pooler, and no setting is needed."""
    settings = make_settings(pooled_url)
    assert settings.db_prepared_statements is False
    async with app_client(settings) as client:
        responses, created = await workload(client)
        assert [r.text for r in responses if r.status_code >= 300] == []
        # Every user sees exactly their own tasks.
        for user, ids in created.items():
            listed = await client.get("/api/tasks", headers=auth(user))
            assert {task["id"] for task in listed.json()} == ids
        # The app's pooled connections were multiplexed over several server connections.
        assert 2 <= server_connections(postgres_url) <= pgbouncer.pool_size


async def test_a_neon_style_pooler_host_works_too(postgres_url: str, pgbouncer: PgBouncer) -> None:
    """A host named like Neon's pooled endpoint (``…-pooler…``): the same default serves it.
    (libpq's ``hostaddr`` reaches the local PgBouncer without resolving the name.)"""
    url = make_url(postgres_url).set(
        host="ep-reliability-test-pooler.example.invalid",
        port=pgbouncer.port,
        query={"hostaddr": pgbouncer.host},
    )
    settings = make_settings(url.render_as_string(hide_password=False))
    async with app_client(settings) as client:
        responses, _ = await workload(client)
        assert [r.text for r in responses if r.status_code >= 300] == []


async def test_with_prepared_statements_on_the_pooler_breaks_requests(pooled_url: str) -> None:
    """The control: the same workload with psycopg's prepared statements on fails (psycopg
    prepares a statement run 5 times on a connection; PgBouncer then runs the next
    transaction on a server connection that never saw it). This is why they are off unless
    asked for (a direct connection, or PgBouncer 1.21+ with ``max_prepared_statements``)."""
    settings = make_settings(pooled_url, db_prepared_statements=True)
    failures: list[httpx.Response] = []
    async with app_client(settings) as client:
        for _ in range(5):
            responses, _ = await workload(client)
            failures += [r for r in responses if r.status_code >= 500]
            if failures:
                break
    assert failures, "prepared statements through PgBouncer did not fail: is it transaction mode?"
    for response in failures:
        body = assert_problem(response, response.status_code)
        assert "prepared" not in response.text.lower()  # no driver text in the answer
        assert body.get("request_id")


async def test_time_limits_hold_through_the_pooler(pooled_url: str, postgres_url: str) -> None:
    """A statement stuck behind a lock ends at the time limit through PgBouncer too, and the
    cancellation reaches the server (PgBouncer forwards cancel requests), which a
    ``statement_timeout`` startup option could not do (PgBouncer refuses it)."""
    settings = make_settings(pooled_url, db_prepared_statements=False, db_operation_timeout=1.5)
    async with app_client(settings) as client:
        user = new_user()
        created = await client.post("/api/tasks", json={"title": "locked"}, headers=auth(user))
        task_id = created.json()["id"]
        with psycopg.connect(postgres_url) as locker:
            locker.execute("SELECT * FROM tasks WHERE id = %s FOR UPDATE", (task_id,))
            started = time.perf_counter()
            response = await client.patch(
                f"/api/tasks/{task_id}", json={"title": "late"}, headers=auth(user)
            )
            assert_problem(response, 503)
            assert time.perf_counter() - started < 3.0
            await assert_lock_waits_end(locker)
            locker.rollback()
        response = await client.patch(
            f"/api/tasks/{task_id}", json={"title": "now"}, headers=auth(user)
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def pooler_with_faulty_server(
    postgres_url: str, proxy: FaultProxy
) -> AsyncIterator[PgBouncer]:
    # PgBouncer reaches PostgreSQL through the fault proxy: the pooler stays up while the
    # database behind it goes away (a Neon compute suspended or restarting).
    # PgBouncer's own timeouts decide how soon it drops server connections that hung and
    # tries again (defaults: 15 s each); shortened here, as docs/operations.md suggests.
    with running_pgbouncer(
        pool_size=2,
        server_host=proxy.host,
        server_port=proxy.port,
        extra=("server_connect_timeout = 2", "server_login_retry = 1", "query_timeout = 5"),
    ) as bouncer:
        yield bouncer


async def test_database_behind_the_pooler_goes_away_and_comes_back(
    postgres_url: str, pooler_with_faulty_server: PgBouncer, proxy: FaultProxy
) -> None:
    """PgBouncer keeps accepting and queues queries while it cannot reach the server
    (for up to its query_wait_timeout, 120 s by default): the app's own limit answers 503."""
    bouncer = pooler_with_faulty_server
    settings = make_settings(
        through(postgres_url, bouncer.host, bouncer.port),
        db_prepared_statements=False,
        db_operation_timeout=1.5,
    )
    async with app_client(settings) as client:
        user = new_user()
        headers = auth(user)
        before = await client.post("/api/tasks", json={"title": "before"}, headers=headers)
        assert before.status_code == 201, before.text

        await proxy.blackhole()
        for request in (
            client.get("/api/tasks", headers=headers),
            client.post("/api/tasks", json={"title": "during"}, headers=headers),
            client.get("/readyz"),
        ):
            started = time.perf_counter()
            assert_problem(await request, 503)
            assert time.perf_counter() - started < 3.0

        await proxy.restore()
        deadline = time.monotonic() + 20
        while (await client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, "did not recover through the pooler"
            await asyncio.sleep(0.25)
        listed = await client.get("/api/tasks", headers=headers)
        assert listed.status_code == 200
        assert before.json()["id"] in {task["id"] for task in listed.json()}
