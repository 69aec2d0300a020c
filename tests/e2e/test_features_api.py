"""Priorities, tags, reminders, recurring tasks, the summary, tags, batches and clear
completed, through the HTTP API (DESIGN.md §3b)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import (
    assert_problem,
    assert_validation_problem,
    create_task,
    list_all,
    new_user,
    next_link,
)
from tests.http import auth

RECURRING = {
    "title": "Pay rent",
    "due_date": "2026-01-31",
    "recurrence": {"frequency": "monthly", "interval": 1},
    "priority": "high",
    "tags": ["Home", "money"],
    "remind_at": "2026-01-31T09:00:00+01:00",
}


async def test_a_task_carries_every_new_field(client: httpx.AsyncClient) -> None:
    task = await create_task(client, new_user(), **RECURRING)
    assert task["priority"] == "high"
    assert task["tags"] == ["Home", "money"]
    assert task["remind_at"] == "2026-01-31T08:00:00Z"  # kept in UTC
    assert task["recurrence"] == {"frequency": "monthly", "interval": 1, "starts_on": "2026-01-31"}
    assert (task["completed_at"], task["next_task_id"]) == (None, None)
    defaults = await create_task(client, new_user(), title="plain")
    assert (defaults["priority"], defaults["tags"], defaults["recurrence"]) == ("none", [], None)


async def test_completing_a_recurring_task_schedules_the_next_one(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user, **RECURRING)
    done = await client.patch(
        f"/api/tasks/{task['id']}", json={"completed": True}, headers=auth(user)
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["completed_at"] == body["updated_at"]
    follow_up = await client.get(f"/api/tasks/{body['next_task_id']}", headers=auth(user))
    assert follow_up.status_code == 200
    expected = {
        **RECURRING,
        "due_date": "2026-02-28",
        "remind_at": "2026-02-28T08:00:00Z",
        "recurrence": {"frequency": "monthly", "interval": 1, "starts_on": "2026-01-31"},
        "completed": False,
    }
    assert {name: follow_up.json()[name] for name in expected} == expected
    # Completing it again (a retry) or via the compatibility toggle twice: no second one.
    await client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=auth(user))
    for _ in range(2):
        toggled = await client.patch(f"/api/{user}/tasks/{task['id']}/complete", headers=auth(user))
        assert toggled.status_code == 200
    assert len(await list_all(client, user, "/api/tasks")) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_concurrent_completions_create_one_next_occurrence_on_postgresql(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user, **RECURRING)
    url = f"/api/tasks/{task['id']}"
    responses = await asyncio.gather(
        *(client.patch(url, json={"completed": True}, headers=auth(user)) for _ in range(8))
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    tasks = await list_all(client, user, "/api/tasks")
    assert len(tasks) == 2
    assert len({r.json()["next_task_id"] for r in responses}) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tags": ["home", "Home"]}, "tags"),
        ({"tags": ["a,b"]}, "tags"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"tags": "home"}, "tags"),
        ({"priority": "urgent"}, "priority"),
        ({"priority": None}, "priority"),
        ({"remind_at": "2026-01-31T09:00:00"}, "remind_at"),
        ({"remind_at": 1767171600}, "remind_at"),
        ({"recurrence": {"frequency": "daily", "interval": 1}}, "recurrence"),
        ({"due_date": "2026-01-31", "recurrence": {"frequency": "daily"}}, "recurrence.interval"),
        (
            {"due_date": "2026-01-31", "recurrence": {"frequency": "daily", "interval": 0}},
            "recurrence.interval",
        ),
        (
            {"due_date": "2026-01-31", "recurrence": {"frequency": "hourly", "interval": 1}},
            "recurrence.frequency",
        ),
        (
            {
                "due_date": "2026-01-31",
                "recurrence": {"frequency": "daily", "interval": 1, "starts_on": "2026-01-01"},
            },
            "recurrence.starts_on",
        ),
        ({"completed_at": "2026-01-31T09:00:00Z"}, "completed_at"),
        ({"next_task_id": str(uuid.uuid4())}, "next_task_id"),
    ],
)
async def test_bad_new_fields_are_422(
    http_client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await http_client.post(
        "/api/tasks", json={"title": "t", **body}, headers=auth(new_user())
    )
    assert_validation_problem(response, field)


async def test_clearing_the_due_date_of_a_recurring_task_is_422(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user, **RECURRING)
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"due_date": None}, headers=auth(user)
    )
    assert_validation_problem(response, "due_date")
    cleared = await client.patch(
        f"/api/tasks/{task['id']}", json={"due_date": None, "recurrence": None}, headers=auth(user)
    )
    assert cleared.status_code == 200
    assert cleared.json()["recurrence"] is None


async def test_list_filters_and_priority_pages(client: httpx.AsyncClient) -> None:
    user = new_user()
    for title, priority, tags, due in [
        ("a", "high", ["home"], "2026-03-01"),
        ("b", "low", ["Home", "work"], "2026-03-02"),
        ("c", "high", ["work"], None),
        ("d", "none", [], "2026-03-03"),
        ("e", "medium", ["home", "WORK"], "2026-03-04"),
    ]:
        await create_task(client, user, title=title, priority=priority, tags=tags, due_date=due)

    async def titles(query: str) -> list[str]:
        return [t["title"] for t in await list_all(client, user, f"/api/tasks?{query}")]

    assert await titles("sort=priority&limit=2") == ["c", "a", "e", "b", "d"]
    assert await titles("sort=priority&order=asc&limit=2") == ["d", "b", "e", "a", "c"]
    assert sorted(await titles("priority=high,medium")) == ["a", "c", "e"]
    assert sorted(await titles("tag=HOME")) == ["a", "b", "e"]
    assert sorted(await titles("tag=home,work")) == ["b", "e"]
    assert sorted(await titles("due_from=2026-03-02&due_to=2026-03-03")) == ["b", "d"]
    assert sorted(await titles("tag=work&priority=high")) == ["c"]


async def test_a_cursor_only_works_with_the_filters_it_was_made_for(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    for i in range(3):
        await create_task(client, user, title=f"t{i}", tags=["home"])
    first = await client.get("/api/tasks?tag=home&limit=1", headers=auth(user))
    link = next_link(first)
    assert link is not None
    assert (await client.get(link, headers=auth(user))).status_code == 200
    elsewhere = link.replace("tag=home", "tag=work")
    assert_validation_problem(await client.get(elsewhere, headers=auth(user)), "cursor")


async def test_reminders_up_to_a_moment(client: httpx.AsyncClient) -> None:
    user = new_user()
    await create_task(client, user, title="soon", remind_at="2026-01-01T09:00:00Z")
    await create_task(client, user, title="later", remind_at="2026-01-02T09:00:00Z")
    await create_task(client, user, title="never")
    found = await list_all(client, user, "/api/tasks?remind_to=2026-01-01T10:00:00%2B01:00")
    assert [t["title"] for t in found] == ["soon"]


async def test_the_summary(client: httpx.AsyncClient) -> None:
    user = new_user()
    for due, done, priority in [
        ("2026-01-01", False, "high"),
        ("2026-01-10", False, "low"),
        ("2026-02-01", False, "none"),
        ("2026-01-01", True, "high"),
    ]:
        await create_task(client, user, title="t", due_date=due, completed=done, priority=priority)
    await create_task(client, new_user(), title="someone else's", due_date="2026-01-01")
    response = await client.get("/api/tasks/summary?today=2026-01-10", headers=auth(user))
    assert response.status_code == 200
    assert response.json() == {
        "total": 4,
        "pending": 3,
        "completed": 1,
        "overdue": 1,
        "due_today": 1,
        "by_priority": {"none": 1, "low": 1, "medium": 0, "high": 1},
    }
    default_day = await client.get("/api/tasks/summary", headers=auth(user))
    assert default_day.status_code == 200
    assert_validation_problem(
        await client.get("/api/tasks/summary?today=soon", headers=auth(user)), "today"
    )


async def test_tags_with_their_counts(client: httpx.AsyncClient) -> None:
    user = new_user()
    await create_task(client, user, title="a", tags=["Work", "home"])
    await create_task(client, user, title="b", tags=["work"])
    await create_task(client, new_user(), title="other", tags=["secret"])
    response = await client.get("/api/tags", headers=auth(user))
    assert response.status_code == 200
    assert response.json() == [{"name": "home", "count": 1}, {"name": "Work", "count": 2}]


async def test_a_batch_completes_several_tasks(client: httpx.AsyncClient) -> None:
    user = new_user()
    recurring = await create_task(client, user, **RECURRING)
    plain = await create_task(client, user, title="plain")
    response = await client.post(
        "/api/tasks/batch",
        json={"action": "complete", "ids": [recurring["id"], plain["id"]]},
        headers=auth(user),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(t["id"] for t in body["tasks"]) == sorted([recurring["id"], plain["id"]])
    assert [t["due_date"] for t in body["created"]] == ["2026-02-28"]
    assert body["deleted"] == []
    deleted = await client.post(
        "/api/tasks/batch", json={"action": "delete", "ids": [plain["id"]]}, headers=auth(user)
    )
    assert deleted.json() == {"tasks": [], "created": [], "deleted": [plain["id"]]}


async def test_a_batch_naming_another_users_task_is_404_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = new_user(), new_user()
    mine = await create_task(client, alice, title="mine")
    theirs = await create_task(client, bob, title="theirs")
    for action in ("complete", "reopen", "delete"):
        response = await client.post(
            "/api/tasks/batch",
            json={"action": action, "ids": [mine["id"], theirs["id"]]},
            headers=auth(alice),
        )
        assert_problem(response, 404)
    assert (await client.get(f"/api/tasks/{mine['id']}", headers=auth(alice))).json() == mine
    assert (await client.get(f"/api/tasks/{theirs['id']}", headers=auth(bob))).json() == theirs


@pytest.mark.parametrize(
    "body",
    [
        {"action": "complete", "ids": []},
        {"action": "complete", "ids": [str(uuid.uuid4()) for _ in range(201)]},
        {"action": "finish", "ids": [str(uuid.uuid4())]},
        {"action": "complete", "ids": ["not-a-uuid"]},
        {"action": "complete"},
        {"action": "complete", "ids": [str(uuid.UUID(int=1))] * 2},
    ],
)
async def test_bad_batches_are_422(http_client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await http_client.post("/api/tasks/batch", json=body, headers=auth(new_user()))
    assert_problem(response, 422)


async def test_clear_completed(client: httpx.AsyncClient) -> None:
    alice, bob = new_user(), new_user()
    await create_task(client, alice, title="done", completed=True)
    kept = await create_task(client, alice, title="open")
    theirs = await create_task(client, bob, title="bob's", completed=True)
    response = await client.delete("/api/tasks?status=completed", headers=auth(alice))
    assert response.status_code == 200
    assert response.json() == {"deleted": 1}
    assert [t["id"] for t in await list_all(client, alice, "/api/tasks")] == [kept["id"]]
    assert (await client.get(f"/api/tasks/{theirs['id']}", headers=auth(bob))).status_code == 200


@pytest.mark.parametrize("query", ["", "?status=all", "?status=pending", "?status=done"])
async def test_clear_needs_status_completed(http_client: httpx.AsyncClient, query: str) -> None:
    user = new_user()
    task = await create_task(http_client, user, title="kept", completed=True)
    response = await http_client.delete(f"/api/tasks{query}", headers=auth(user))
    assert_validation_problem(response, "status")
    assert (
        await http_client.get(f"/api/tasks/{task['id']}", headers=auth(user))
    ).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/tasks/summary"),
        ("GET", "/api/tags"),
        ("POST", "/api/tasks/batch"),
        ("DELETE", "/api/tasks?status=completed"),
    ],
)
async def test_the_new_routes_need_a_token(
    http_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http_client.request(method, path)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
