"""Idempotency-Key on POST: retries replay the first response and create nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.memory.repository import InMemoryTaskStore
from adapters.memory.unit_of_work import InMemoryUnitOfWork
from application.errors import IdempotencyKeyReused
from application.use_cases import CreateTask
from domain.task import NewTask
from tests.e2e.helpers import new_user
from tests.fakes import FixedClock
from tests.http import auth


async def count_tasks(client: httpx.AsyncClient, user: str) -> int:
    response = await client.get("/api/tasks", headers=auth(user))
    return len(response.json())


async def test_retry_replays_first_response_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    headers = {**auth(user), "Idempotency-Key": "create-milk-1"}
    body = {"title": "Buy milk", "due_date": "2026-12-24"}
    first = await client.post("/api/tasks", json=body, headers=headers)
    # The task changes after the first create; the retry still gets the first response.
    await client.patch(first.headers["location"], json={"completed": True}, headers=auth(user))
    retry = await client.post("/api/tasks", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert await count_tasks(client, user) == 1


async def test_same_key_with_another_body_is_422(client: httpx.AsyncClient) -> None:
    user = new_user()
    headers = {**auth(user), "Idempotency-Key": "k"}
    assert (
        await client.post("/api/tasks", json={"title": "a"}, headers=headers)
    ).status_code == 201
    response = await client.post("/api/tasks", json={"title": "b"}, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/idempotency-key-reused"
    assert await count_tasks(client, user) == 1


async def test_keys_are_per_user(client: httpx.AsyncClient) -> None:
    alice, bob = new_user(), new_user()
    for user in (alice, bob):
        response = await client.post(
            "/api/tasks", json={"title": "same"}, headers={**auth(user), "Idempotency-Key": "k"}
        )
        assert response.status_code == 201
        assert response.json()["user_id"] == user
    assert await count_tasks(client, alice) == await count_tasks(client, bob) == 1


async def test_different_keys_create_different_tasks(client: httpx.AsyncClient) -> None:
    user = new_user()
    for key in ("one", "two"):
        await client.post(
            "/api/tasks", json={"title": "x"}, headers={**auth(user), "Idempotency-Key": key}
        )
    assert await count_tasks(client, user) == 2


async def test_concurrent_duplicates_create_one_task(client: httpx.AsyncClient) -> None:
    user = new_user()
    headers = {**auth(user), "Idempotency-Key": str(uuid.uuid4())}
    responses = await asyncio.gather(
        *(client.post("/api/tasks", json={"title": "once"}, headers=headers) for _ in range(8))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count_tasks(client, user) == 1


async def test_structured_field_string_form_is_the_same_key(client: httpx.AsyncClient) -> None:
    user = new_user()
    first = await client.post(
        "/api/tasks", json={"title": "x"}, headers={**auth(user), "Idempotency-Key": '"abc"'}
    )
    second = await client.post(
        "/api/tasks", json={"title": "x"}, headers={**auth(user), "Idempotency-Key": "abc"}
    )
    assert first.json()["id"] == second.json()["id"]


@pytest.mark.parametrize("key", ["", "   ", "a b", "é", "x" * 256, "\x7f"])
async def test_malformed_keys_are_400(http_client: httpx.AsyncClient, key: str) -> None:
    user = new_user()
    response = await http_client.post(
        "/api/tasks",
        json={"title": "x"},
        headers={**auth(user), "Idempotency-Key": key.encode()},
    )
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"
    assert await count_tasks(http_client, user) == 0


async def test_compat_route_shares_the_keys(client: httpx.AsyncClient) -> None:
    user = new_user()
    headers = {**auth(user), "Idempotency-Key": "shared"}
    first = await client.post("/api/tasks", json={"title": "x"}, headers=headers)
    second = await client.post(f"/api/{user}/tasks", json={"title": "x"}, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    assert await count_tasks(client, user) == 1


async def test_keys_expire_after_their_lifetime_and_are_cleaned_up() -> None:
    store = InMemoryTaskStore()
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    create = CreateTask(InMemoryUnitOfWork(store), clock)
    first = await create.execute("u", NewTask(title="a"), idempotency_key="k")
    clock.advance(timedelta(hours=23))
    assert (await create.execute("u", NewTask(title="a"), idempotency_key="k")).id == first.id
    with pytest.raises(IdempotencyKeyReused):
        await create.execute("u", NewTask(title="b"), idempotency_key="k")
    clock.advance(timedelta(hours=2))  # 25 h after the first use: the key is free again
    again = await create.execute("u", NewTask(title="b"), idempotency_key="k")
    assert again.id != first.id
    assert len(store.tasks) == 2
    assert len(store.idempotency) == 1  # the expired record was removed, not kept
