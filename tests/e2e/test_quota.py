"""The per-user task quota (MAX_TASKS_PER_USER) through the real app and CLI, on every
backend: creates, completions that continue a series (one task or a batch), MCP, imports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import assert_clean_failure, assert_problem, invoke, new_user
from tests.http import app_client, auth, make_settings
from tests.mcp import mcp_session, refusal, served

QUOTA = 3
RECURRING = {
    "title": "water the plants",
    "due_date": "2026-03-01",
    "recurrence": {"frequency": "weekly", "interval": 1},
}


@pytest.fixture
async def capped(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(make_settings(database_url, max_tasks_per_user=QUOTA)) as http:
        yield http


async def create(client: httpx.AsyncClient, user: str, **body: Any) -> httpx.Response:
    return await client.post("/api/tasks", json={"title": "t", **body}, headers=auth(user))


async def count(client: httpx.AsyncClient, user: str) -> int:
    summary = await client.get("/api/tasks/summary", headers=auth(user))
    return int(summary.json()["total"])


def assert_quota_problem(response: httpx.Response) -> None:
    body = assert_problem(response, 409)
    assert body["type"] == "/problems/task-quota-exceeded"
    assert f"{QUOTA:,} tasks" in body["detail"]


async def test_a_create_past_the_quota_is_a_409_problem_and_writes_nothing(
    capped: httpx.AsyncClient,
) -> None:
    user, other = new_user(), new_user()
    for _ in range(QUOTA):
        assert (await create(capped, user)).status_code == 201
    assert_quota_problem(await create(capped, user))
    keyed = await capped.post(
        f"/api/{user}/tasks",
        json={"title": "t"},
        headers={**auth(user), "Idempotency-Key": "k1"},
    )
    assert_quota_problem(keyed)
    assert await count(capped, user) == QUOTA
    assert (await create(capped, other)).status_code == 201  # per user
    # Room again once a task is gone.
    first = (await capped.get("/api/tasks", headers=auth(user))).json()[0]
    assert (await capped.delete(f"/api/tasks/{first['id']}", headers=auth(user))).status_code == 204
    assert (await create(capped, user)).status_code == 201


async def test_completing_a_recurring_task_at_the_quota_changes_nothing(
    capped: httpx.AsyncClient,
) -> None:
    user = new_user()
    recurring = (await create(capped, user, **RECURRING)).json()
    for _ in range(QUOTA - 1):
        await create(capped, user)
    path = f"/api/tasks/{recurring['id']}"
    assert_quota_problem(await capped.patch(path, json={"completed": True}, headers=auth(user)))
    toggle = await capped.patch(f"/api/{user}/tasks/{recurring['id']}/complete", headers=auth(user))
    assert_quota_problem(toggle)
    batch = await capped.post(
        "/api/tasks/batch",
        json={"action": "complete", "ids": [recurring["id"]]},
        headers=auth(user),
    )
    assert_quota_problem(batch)
    after = (await capped.get(path, headers=auth(user))).json()
    assert (after["completed"], after["next_task_id"]) == (False, None)
    assert await count(capped, user) == QUOTA


async def test_a_batch_completes_while_its_next_occurrences_fit(capped: httpx.AsyncClient) -> None:
    user = new_user()
    recurring = (await create(capped, user, **RECURRING)).json()
    done = await capped.post(
        "/api/tasks/batch",
        json={"action": "complete", "ids": [recurring["id"]]},
        headers=auth(user),
    )
    assert done.status_code == 200
    assert len(done.json()["created"]) == 1
    assert await count(capped, user) == 2


async def test_concurrent_creates_stay_within_the_documented_overshoot(
    database_url: str,
) -> None:
    """docs/operations.md: concurrent creates of one user may pass the quota by at most
    their number minus one (on PostgreSQL; memory and SQLite serialise writes: exact)."""
    quota, concurrent = 5, 12
    settings = make_settings(database_url, max_tasks_per_user=quota)
    user = new_user()
    async with app_client(settings) as client:
        responses = await asyncio.gather(*(create(client, user) for _ in range(concurrent)))
        stored = await count(client, user)
    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409, 503}
    assert statuses.count(201) == stored
    assert quota <= stored <= quota + concurrent - 1
    if not database_url.startswith("postgresql"):
        assert stored == quota


async def test_no_cap_with_zero(database_url: str) -> None:
    user = new_user()
    async with app_client(make_settings(database_url, max_tasks_per_user=0)) as client:
        for _ in range(QUOTA + 2):
            assert (await create(client, user)).status_code == 201


async def test_mcp_add_task_past_the_quota_is_a_tool_error() -> None:
    user = new_user()
    settings = make_settings("memory://", max_tasks_per_user=1)
    async with served(settings) as app, mcp_session(app, user) as session:
        assert not (await session.call_tool("add_task", {"title": "one"})).is_error
        message = refusal(await session.call_tool("add_task", {"title": "two"}))
    assert "limit of 1 tasks per user" in message


def write_export(path: Path, titles: list[str]) -> Path:
    tasks = [{"title": title} for title in titles]
    path.write_text(json.dumps({"format": "todo-api.tasks", "version": 1, "tasks": tasks}))
    return path


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_an_import_past_the_quota_fails_with_exit_8_naming_the_user_and_limit(
    cli_env: pytest.MonkeyPatch, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    cli_env.setenv("DATABASE_URL", str(request.getfixturevalue(f"{backend}_url")))
    cli_env.setenv("MAX_TASKS_PER_USER", str(QUOTA))
    user = new_user()
    fits = write_export(tmp_path / "fits.json", ["a", "b"])
    assert invoke("tasks", "import", "--user", user, str(fits)).exit_code == 0
    too_many = write_export(tmp_path / "more.json", ["c", "d"])
    line = assert_clean_failure(invoke("tasks", "import", "--user", user, str(too_many)), 8)
    assert f"user {user} has 2 tasks and may have at most {QUOTA}" in line
    assert "MAX_TASKS_PER_USER" in line
    assert "tasks[1]" in line
    assert "nothing was written" in line
    listed = invoke("tasks", "list", "--user", user, "--json")
    assert sorted(task["title"] for task in json.loads(listed.stdout)) == ["a", "b"]
