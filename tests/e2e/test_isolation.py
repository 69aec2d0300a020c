"""One user can never see or touch another user's tasks: it is as if they did not exist."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.helpers import assert_problem, new_user
from tests.http import auth


async def create_for_a(client: httpx.AsyncClient, user_a: str) -> tuple[dict[str, object], str]:
    response = await client.post(
        "/api/tasks",
        json={"title": "A's secret", "description": "private", "due_date": "2026-02-02"},
        headers=auth(user_a),
    )
    assert response.status_code == 201
    return response.json(), response.headers["etag"]


async def assert_unchanged(
    client: httpx.AsyncClient, user_a: str, task: dict[str, object], etag: str
) -> None:
    response = await client.get(f"/api/tasks/{task['id']}", headers=auth(user_a))
    assert response.status_code == 200
    assert response.json() == task
    assert response.headers["etag"] == etag


async def test_another_users_task_reads_as_missing(client: httpx.AsyncClient) -> None:
    user_a, user_b = new_user(), new_user()
    task, etag = await create_for_a(client, user_a)

    missing = await client.get(f"/api/tasks/{uuid.uuid4()}", headers=auth(user_b))
    foreign = await client.get(f"/api/tasks/{task['id']}", headers=auth(user_b))

    body = assert_problem(foreign, 404)
    # Indistinguishable from a task that does not exist (apart from the path and request id).
    missing_body = assert_problem(missing, 404)
    for key in ("type", "title", "status", "detail"):
        assert body[key] == missing_body[key]
    assert "etag" not in foreign.headers
    assert "secret" not in foreign.text
    await assert_unchanged(client, user_a, task, etag)


async def test_another_users_tasks_are_not_listed(client: httpx.AsyncClient) -> None:
    user_a, user_b = new_user(), new_user()
    task, etag = await create_for_a(client, user_a)
    own = await client.post("/api/tasks", json={"title": "B's own"}, headers=auth(user_b))
    assert own.status_code == 201

    for query in ("", "?status=pending", "?q=secret", "?q=private", "?sort=due_date&limit=1"):
        response = await client.get(f"/api/tasks{query}", headers=auth(user_b))
        assert response.status_code == 200
        assert task["id"] not in {t["id"] for t in response.json()}
        assert all(t["user_id"] == user_b for t in response.json())

    listed_a = await client.get("/api/tasks", headers=auth(user_a))
    assert [t["id"] for t in listed_a.json()] == [task["id"]]
    await assert_unchanged(client, user_a, task, etag)


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("PUT", {"title": "taken over", "description": None}),
        ("PATCH", {"completed": True}),
        ("PATCH", {}),
        ("DELETE", None),
    ],
    ids=["put", "patch", "patch-empty", "delete"],
)
@pytest.mark.parametrize("if_match", [None, '"1"', "*"], ids=["plain", "if-match-v1", "if-match-*"])
async def test_another_users_task_cannot_be_changed_or_deleted(
    client: httpx.AsyncClient,
    method: str,
    body: dict[str, object] | None,
    if_match: str | None,
) -> None:
    user_a, user_b = new_user(), new_user()
    task, etag = await create_for_a(client, user_a)
    headers = auth(user_b)
    if if_match is not None:
        headers["If-Match"] = if_match

    response = await client.request(method, f"/api/tasks/{task['id']}", json=body, headers=headers)

    assert_problem(response, 404)
    await assert_unchanged(client, user_a, task, etag)


async def test_a_task_id_is_not_an_owner_wildcard(client: httpx.AsyncClient) -> None:
    """Both users may hold tasks; each sees exactly their own, whatever B does."""
    user_a, user_b = new_user(), new_user()
    task, etag = await create_for_a(client, user_a)
    b_task = (await client.post("/api/tasks", json={"title": "B's"}, headers=auth(user_b))).json()

    deleted = await client.delete(f"/api/tasks/{b_task['id']}", headers=auth(user_b))
    assert deleted.status_code == 204
    assert_problem(await client.delete(f"/api/tasks/{task['id']}", headers=auth(user_b)), 404)

    await assert_unchanged(client, user_a, task, etag)
    assert (await client.get("/api/tasks", headers=auth(user_b))).json() == []


async def test_a_body_naming_another_user_on_the_lenient_shape_changes_nothing_of_theirs(
    client: httpx.AsyncClient,
) -> None:
    """The compatibility shape ignores fields clients may not set: a body's ``user_id`` and
    ``id`` never pick the owner or the task (the token and the path do)."""
    user_a, user_b = new_user(), new_user()
    task, etag = await create_for_a(client, user_a)
    claims = {"user_id": user_a, "userId": user_a, "id": task["id"]}
    base = f"/api/{user_b}/tasks"

    created = await client.post(base, json={"title": "B's", **claims}, headers=auth(user_b))
    assert created.status_code == 201, created.text
    b_task = created.json()
    assert (b_task["user_id"], b_task["id"] == task["id"]) == (user_b, False)
    edited = await client.put(
        f"{base}/{b_task['id']}", json={"title": "B's, edited", **claims}, headers=auth(user_b)
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["id"], edited.json()["user_id"]) == (b_task["id"], user_b)
    for method, suffix, body in [
        ("PUT", "", {"title": "taken over"}),
        ("PATCH", "", {"completed": True}),
        ("PATCH", "/complete", {"completed": True}),
        ("PATCH", "/complete", None),
        ("DELETE", "", None),
    ]:
        response = await client.request(
            method,
            f"{base}/{task['id']}{suffix}",
            json=None if body is None else {**body, **claims},
            headers=auth(user_b),
        )
        assert_problem(response, 404)

    await assert_unchanged(client, user_a, task, etag)
    listed_a = await client.get("/api/tasks", headers=auth(user_a))
    assert [t["id"] for t in listed_a.json()] == [task["id"]]
