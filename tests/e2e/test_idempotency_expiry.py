"""Idempotency records after their task is deleted, and after their lifetime (ADR 0020):
a replay never answers 201 with a Location that is already 404, no deleted task's content
is kept, and expired records are swept for every user."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx

from adapters.memory import InMemoryTaskStore
from application.ports import IdempotencyRecord
from domain.task import Task
from entrypoints.container import build_container
from tests.e2e.helpers import assert_problem, new_user
from tests.http import app_client, auth, make_settings


async def keyed_create(
    client: httpx.AsyncClient, user: str, key: str, title: str = "x"
) -> httpx.Response:
    headers = {**auth(user), "Idempotency-Key": key}
    return await client.post("/api/tasks", json={"title": title}, headers=headers)


async def test_a_replay_after_the_task_was_deleted_is_410_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    created = await keyed_create(client, user, "k1")
    location = created.headers["location"]
    assert (await client.delete(location, headers=auth(user))).status_code == 204
    replay = await keyed_create(client, user, "k1")
    body = assert_problem(replay, 410)
    assert body["type"] == "/problems/created-task-deleted"
    assert "location" not in replay.headers
    assert "x" not in body["detail"].split()  # the deleted title is not echoed
    assert (await client.get("/api/tasks", headers=auth(user))).json() == []
    # The same key with another body is still a reused key (422), not a 410.
    other = await keyed_create(client, user, "k1", title="other")
    assert assert_problem(other, 422)["type"] == "/problems/idempotency-key-reused"


async def test_every_way_of_deleting_forgets_the_replay(client: httpx.AsyncClient) -> None:
    user = new_user()
    one, batched, cleared = [
        (await keyed_create(client, user, key)).json() for key in ("one", "batch", "clear")
    ]
    await client.delete(f"/api/tasks/{one['id']}", headers=auth(user))
    await client.post(
        "/api/tasks/batch",
        json={"action": "delete", "ids": [batched["id"]]},
        headers=auth(user),
    )
    await client.patch(f"/api/tasks/{cleared['id']}", json={"completed": True}, headers=auth(user))
    await client.delete("/api/tasks?status=completed", headers=auth(user))
    for key in ("one", "batch", "clear"):
        assert (await keyed_create(client, user, key)).status_code == 410


async def test_a_replay_of_a_task_still_there_replays_it(client: httpx.AsyncClient) -> None:
    user = new_user()
    first = await keyed_create(client, user, "kept")
    replay = await keyed_create(client, user, "kept")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert (await client.get(replay.headers["location"], headers=auth(user))).status_code == 200


async def test_the_app_sweeps_expired_records_of_every_user_in_the_background() -> None:
    settings = make_settings("memory://", idempotency_sweep_interval=0.01)
    container = build_container(settings)
    store: InMemoryTaskStore = container.memory_store()
    long_ago = datetime.now(UTC) - timedelta(days=2)
    for owner in ("alice", "bob", "carol"):
        task = Task.create(user_id=owner, title="old", now=long_ago)
        store.idempotency[(owner, "k")] = IdempotencyRecord(owner, "k", "f", task, long_ago)
    fresh = Task.create(user_id="dave", title="new", now=datetime.now(UTC))
    store.idempotency[("dave", "k")] = IdempotencyRecord("dave", "k", "f", fresh, datetime.now(UTC))
    async with app_client(container):
        for _ in range(500):
            if len(store.idempotency) == 1:
                break
            await asyncio.sleep(0.01)
    assert list(store.idempotency) == [("dave", "k")]
