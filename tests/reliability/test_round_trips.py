"""Round trips to PostgreSQL per operation, pinned at the floor (ADR 0028).

On Neon every round trip is a network hop, so each one a request adds is felt by every
user. The app talks to PostgreSQL through a proxy that counts the client's turns in the
conversation (bench/proxy.py): BEGIN, COMMIT, a ping or a second statement each cost one,
several statements sent at once cost one together. No timings: a regression fails here
whatever the machine.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from bench.proxy import DelayingProxy
from tests.databases import through
from tests.http import app_client, auth, make_settings

pytestmark = pytest.mark.postgres

OWNER = "round-trip-user"


@pytest.fixture
async def counting(postgres_url: str) -> AsyncIterator[tuple[DelayingProxy, httpx.AsyncClient]]:
    url = make_url(postgres_url)
    proxy = DelayingProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        settings = make_settings(through(postgres_url, "127.0.0.1", proxy.port))
        async with app_client(settings) as client:
            client.headers.update(auth(OWNER))
            # Warm: a connection is open, the cursor key has been read.
            for _ in range(3):
                await create(client, title="warm-up")
            (await client.get("/api/tasks?limit=2")).raise_for_status()
            yield proxy, client
    finally:
        await proxy.stop()


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/tasks", json={"title": "task", **fields})
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    task["etag"] = response.headers["ETag"]
    return task


async def round_trips(
    proxy: DelayingProxy, send: Callable[[], Awaitable[httpx.Response]], status: int
) -> int:
    before = proxy.round_trips
    response = await send()
    assert response.status_code == status, response.text
    return proxy.round_trips - before


async def test_reads_take_one_round_trip(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    proxy, client = counting
    task = await create(client)
    assert await round_trips(proxy, lambda: client.get("/api/tasks?limit=50"), 200) == 1
    assert await round_trips(proxy, lambda: client.get(f"/api/tasks/{task['id']}"), 200) == 1


async def test_creates_take_one_round_trip(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    proxy, client = counting
    plain = {"title": "plain"}
    tagged = {"title": "tagged", "tags": ["home", "Work"], "due_date": "2026-12-24"}
    for body in (plain, tagged):
        send = lambda body=body: client.post("/api/tasks", json=body)  # noqa: E731
        assert await round_trips(proxy, send, 201) == 1
    # Both landed, tags included.
    listed = (await client.get("/api/tasks?tag=work")).json()
    assert [task["tags"] for task in listed] == [["home", "Work"]]


async def test_a_keyed_create_takes_two_and_its_replay_one(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    proxy, client = counting
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    def send() -> Awaitable[httpx.Response]:
        return client.post("/api/tasks", json={"title": "keyed"}, headers=headers)

    assert await round_trips(proxy, send, 201) == 2
    assert await round_trips(proxy, send, 201) == 1
    titles = [task["title"] for task in (await client.get("/api/tasks?q=keyed")).json()]
    assert titles == ["keyed"]


@pytest.mark.parametrize(
    ("method", "path", "body", "conditional"),
    [
        ("PUT", "/api/tasks/{id}", {"title": "put"}, False),
        ("PATCH", "/api/tasks/{id}", {"title": "patched"}, False),
        ("PATCH", "/api/tasks/{id}", {"title": "patched"}, True),
        ("PATCH", "/api/tasks/{id}", {"tags": ["a", "b"]}, False),
        ("PATCH", f"/api/{OWNER}/tasks/{{id}}/complete", None, False),
    ],
    ids=["put", "patch", "patch-if-match", "patch-tags", "toggle"],
)
async def test_edits_take_a_read_and_a_write(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    conditional: bool,
) -> None:
    proxy, client = counting
    task = await create(client, tags=["a"])
    headers = {"If-Match": task["etag"]} if conditional else {}
    url = path.format(id=task["id"])

    def send() -> Awaitable[httpx.Response]:
        return client.request(method, url, json=body, headers=headers)

    assert await round_trips(proxy, send, 200) == 2
    # The write landed: the task is at a new version.
    after = await client.get(f"/api/tasks/{task['id']}")
    assert after.headers["ETag"] != task["etag"]


async def test_completing_a_recurring_task_takes_a_read_and_a_write(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    proxy, client = counting
    recurrence = {"frequency": "weekly", "interval": 1}
    task = await create(client, due_date="2026-12-24", recurrence=recurrence, tags=["x"])

    def send() -> Awaitable[httpx.Response]:
        return client.patch(f"/api/tasks/{task['id']}", json={"completed": True})

    assert await round_trips(proxy, send, 200) == 2
    completed = (await client.get(f"/api/tasks/{task['id']}")).json()
    following = (await client.get(f"/api/tasks/{completed['next_task_id']}")).json()
    assert (following["due_date"], following["tags"]) == ("2026-12-31", ["x"])


@pytest.mark.parametrize("conditional", [False, True], ids=["plain", "if-match"])
async def test_a_delete_takes_one_round_trip(
    counting: tuple[DelayingProxy, httpx.AsyncClient], conditional: bool
) -> None:
    proxy, client = counting
    task = await create(client)
    headers = {"If-Match": task["etag"]} if conditional else {}

    def send() -> Awaitable[httpx.Response]:
        return client.delete(f"/api/tasks/{task['id']}", headers=headers)

    assert await round_trips(proxy, send, 204) == 1
    assert (await client.get(f"/api/tasks/{task['id']}")).status_code == 404


async def test_failed_preconditions_still_answer_right(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    """The failure paths read once more to tell 404 from 412; they keep their answers."""
    proxy, client = counting
    task = await create(client)
    stale = {"If-Match": task["etag"]}
    (await client.patch(f"/api/tasks/{task['id']}", json={"title": "newer"})).raise_for_status()
    url = f"/api/tasks/{task['id']}"
    assert await round_trips(proxy, lambda: client.delete(url, headers=stale), 412) == 2
    assert await round_trips(proxy, lambda: client.patch(url, json={}, headers=stale), 412) == 1
    missing = f"/api/tasks/{uuid.uuid4()}"
    assert await round_trips(proxy, lambda: client.delete(missing), 404) == 2
    assert (await client.get(url)).json()["title"] == "newer"


async def test_the_pools_are_open_before_the_first_request(postgres_url: str) -> None:
    """The warm pool: the handshakes are paid at start-up, all at once, not by requests."""
    url = make_url(postgres_url)
    proxy = DelayingProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    try:
        settings = make_settings(through(postgres_url, "127.0.0.1", proxy.port), db_pool_size=4)
        async with app_client(settings) as client:
            # The request pool's four and one of the transaction pool's.
            assert proxy.connections == 5
            client.headers.update(auth(f"fresh-{uuid.uuid4().hex}"))
            first = await round_trips(proxy, lambda: client.get("/api/tasks"), 200)
            assert (first, proxy.connections) == (1, 5)
            assert (await client.get("/readyz")).status_code == 200
    finally:
        await proxy.stop()


@pytest.mark.parametrize("action", ["complete", "delete"])
async def test_a_batch_takes_a_read_and_a_write(
    counting: tuple[DelayingProxy, httpx.AsyncClient], action: str
) -> None:
    proxy, client = counting
    recurrence = {"frequency": "daily", "interval": 1}
    ids = [(await create(client, tags=["t"]))["id"] for _ in range(4)]
    ids.append((await create(client, due_date="2026-12-24", recurrence=recurrence))["id"])
    body = {"action": action, "ids": ids}
    send = lambda: client.post("/api/tasks/batch", json=body)  # noqa: E731
    assert await round_trips(proxy, send, 200) == 2
    statuses = [(await client.get(f"/api/tasks/{task_id}")).status_code for task_id in ids]
    if action == "delete":
        assert statuses == [404] * 5
    else:
        assert statuses == [200] * 5
        last = (await client.get(f"/api/tasks/{ids[-1]}")).json()
        assert last["completed"]
        assert last["next_task_id"] is not None


async def test_clearing_completed_tasks_takes_one_round_trip(
    counting: tuple[DelayingProxy, httpx.AsyncClient],
) -> None:
    """One DELETE, its own transaction on the autocommit pool, which reports its count."""
    proxy, client = counting
    client.headers.update(auth(f"clearing-{uuid.uuid4().hex}"))  # no other test's tasks
    done = [(await create(client, tags=["t"], completed=True))["id"] for _ in range(3)]
    kept = (await create(client))["id"]
    send = lambda: client.delete("/api/tasks", params={"status": "completed"})  # noqa: E731
    before = proxy.round_trips
    response = await send()
    assert proxy.round_trips - before == 1
    assert response.status_code == 200
    assert response.json() == {"deleted": 3}
    assert [(await client.get(f"/api/tasks/{task_id}")).status_code for task_id in done] == [
        404
    ] * 3
    assert (await client.get(f"/api/tasks/{kept}")).status_code == 200
