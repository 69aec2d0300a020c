"""The ``/api/tasks`` contract of DESIGN.md §3, on every storage backend (``client``); the
cases that only check how a request is validated run on memory:// (``http_client``)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import (
    ISO_DATE,
    assert_problem,
    assert_validation_problem,
    create_task,
    list_all,
    new_user,
    next_link,
    parse_timestamp,
)
from tests.http import auth

TASK_FIELDS = {
    "id",
    "title",
    "description",
    "completed",
    "due_date",
    "priority",
    "tags",
    "remind_at",
    "recurrence",
    "completed_at",
    "next_task_id",
    "user_id",
    "created_at",
    "updated_at",
    "version",
}
STRONG_ETAG = re.compile(r'"[^"]+"')


async def get(client: httpx.AsyncClient, user: str, task_id: str) -> httpx.Response:
    return await client.get(f"/api/tasks/{task_id}", headers=auth(user))


async def titles(client: httpx.AsyncClient, user: str, query: str = "") -> list[str]:
    response = await client.get(f"/api/tasks?limit=200&{query}", headers=auth(user))
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


# --- create -------------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_the_documented_shape(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    before = datetime.now(UTC) - timedelta(seconds=5)

    response = await client.post("/api/tasks", json={"title": "  Buy milk  "}, headers=auth(user))

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert str(uuid.UUID(task["id"])) == task["id"]
    assert response.headers["location"] == f"/api/tasks/{task['id']}"
    assert STRONG_ETAG.fullmatch(response.headers["etag"])
    assert task["title"] == "Buy milk"
    assert task["description"] is None
    assert task["completed"] is False
    assert task["due_date"] is None
    assert task["user_id"] == user
    created = parse_timestamp(task["created_at"])
    updated = parse_timestamp(task["updated_at"])
    assert created == updated
    assert before <= created <= datetime.now(UTC) + timedelta(seconds=5)


async def test_create_accepts_every_editable_field(client: httpx.AsyncClient) -> None:
    user = new_user()
    body = {
        "title": "Pay rent",
        "description": "before the 5th\nby transfer",
        "completed": True,
        "due_date": "2026-03-01",
    }

    task = await create_task(client, user, **body)

    assert {key: task[key] for key in body} == body
    assert ISO_DATE.fullmatch(task["due_date"])


async def test_get_answers_the_task_with_the_same_etag(client: httpx.AsyncClient) -> None:
    user = new_user()
    created = await client.post(
        "/api/tasks", json={"title": "Read", "due_date": "2026-01-31"}, headers=auth(user)
    )

    response = await client.get(created.headers["location"], headers=auth(user))

    assert response.status_code == 200
    assert response.json() == created.json()
    assert response.headers["etag"] == created.headers["etag"]


async def test_get_of_a_missing_task_is_404(client: httpx.AsyncClient) -> None:
    response = await get(client, new_user(), str(uuid.uuid4()))

    assert_problem(response, 404)


async def test_list_answers_a_json_array_of_the_callers_tasks(client: httpx.AsyncClient) -> None:
    user = new_user()
    empty = await client.get("/api/tasks", headers=auth(user))
    assert empty.status_code == 200
    assert empty.json() == []
    assert "link" not in empty.headers

    first = await create_task(client, user, title="one")
    second = await create_task(client, user, title="two")
    response = await client.get("/api/tasks", headers=auth(user))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    tasks = response.json()
    assert isinstance(tasks, list)
    assert {task["id"] for task in tasks} == {first["id"], second["id"]}
    assert all(set(task) == TASK_FIELDS for task in tasks)
    assert all(task["user_id"] == user for task in tasks)


# --- PUT ----------------------------------------------------------------------------------


async def test_put_keeps_omitted_fields_and_changes_the_etag(client: httpx.AsyncClient) -> None:
    user = new_user()
    created = await client.post(
        "/api/tasks",
        json={"title": "old", "description": "notes", "completed": True, "due_date": "2026-06-01"},
        headers=auth(user),
    )
    task = created.json()

    response = await client.put(
        f"/api/tasks/{task['id']}", json={"title": "  new  "}, headers=auth(user)
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["title"] == "new"
    assert updated["description"] == "notes"
    assert updated["completed"] is True
    assert updated["due_date"] == "2026-06-01"
    assert updated["id"] == task["id"]
    assert updated["created_at"] == task["created_at"]
    assert parse_timestamp(updated["updated_at"]) >= parse_timestamp(task["updated_at"])
    assert STRONG_ETAG.fullmatch(response.headers["etag"])
    assert response.headers["etag"] != created.headers["etag"]
    fetched = await get(client, user, task["id"])
    assert fetched.json() == updated
    assert fetched.headers["etag"] == response.headers["etag"]


async def test_put_with_explicit_nulls_clears_description_and_due_date(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user, description="notes", due_date="2026-06-01")

    response = await client.put(
        f"/api/tasks/{task['id']}",
        json={"title": "same", "description": None, "due_date": None, "completed": True},
        headers=auth(user),
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["description"] is None
    assert updated["due_date"] is None
    assert updated["completed"] is True
    assert (await get(client, user, task["id"])).json() == updated


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "no title"}, "title"),
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": "ok", "completed": None}, "completed"),
    ],
    ids=["title-missing", "empty-body", "title-null", "completed-null"],
)
async def test_put_refuses_a_missing_or_null_title_or_null_completed(
    http_client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user, title="kept", description="kept too")

    response = await http_client.put(f"/api/tasks/{task['id']}", json=body, headers=auth(user))

    assert_validation_problem(response, field)
    assert (await get(http_client, user, task["id"])).json() == task


async def test_put_of_a_missing_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put(
        f"/api/tasks/{uuid.uuid4()}", json={"title": "x"}, headers=auth(new_user())
    )

    assert_problem(response, 404)


# --- PATCH --------------------------------------------------------------------------------


async def test_patch_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user, title="t", description="d", due_date="2026-01-02")
    url = f"/api/tasks/{task['id']}"

    completed = await client.patch(url, json={"completed": True}, headers=auth(user))
    assert completed.status_code == 200, completed.text
    assert completed.json() == {
        **task,
        "completed": True,
        "updated_at": completed.json()["updated_at"],
        "completed_at": completed.json()["updated_at"],  # completed by this very change
        "version": 2,
    }

    cleared = await client.patch(url, json={"description": None}, headers=auth(user))
    assert cleared.status_code == 200
    assert cleared.json()["description"] is None
    assert cleared.json()["due_date"] == "2026-01-02"
    assert cleared.json()["completed"] is True

    everything = await client.patch(
        url,
        json={"title": " all ", "description": "new", "completed": False, "due_date": None},
        headers=auth(user),
    )
    assert everything.status_code == 200
    body = everything.json()
    assert (body["title"], body["description"], body["completed"], body["due_date"]) == (
        "all",
        "new",
        False,
        None,
    )
    assert (await get(client, user, task["id"])).json() == body


async def test_patch_with_an_empty_body_changes_nothing(client: httpx.AsyncClient) -> None:
    user = new_user()
    created = await client.post(
        "/api/tasks", json={"title": "t", "description": "d"}, headers=auth(user)
    )
    task = created.json()

    response = await client.patch(f"/api/tasks/{task['id']}", json={}, headers=auth(user))

    assert response.status_code == 200, response.text
    assert response.json() == task
    assert response.headers["etag"] == created.headers["etag"]


@pytest.mark.parametrize("field", ["title", "completed"])
async def test_patch_refuses_null_for_title_and_completed(
    http_client: httpx.AsyncClient, field: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)

    response = await http_client.patch(
        f"/api/tasks/{task['id']}", json={field: None}, headers=auth(user)
    )

    assert_validation_problem(response, field)
    assert (await get(http_client, user, task["id"])).json() == task


async def test_patch_of_a_missing_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        f"/api/tasks/{uuid.uuid4()}", json={"completed": True}, headers=auth(new_user())
    )

    assert_problem(response, 404)


# --- DELETE -------------------------------------------------------------------------------


async def test_delete_answers_204_with_an_empty_body_then_the_task_is_gone(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user)
    other = await create_task(client, user, title="stays")

    response = await client.delete(f"/api/tasks/{task['id']}", headers=auth(user))

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await get(client, user, task["id"]), 404)
    assert_problem(await client.delete(f"/api/tasks/{task['id']}", headers=auth(user)), 404)
    assert [t["id"] for t in (await client.get("/api/tasks", headers=auth(user))).json()] == [
        other["id"]
    ]


# --- list: filters, sorts, limits, search -------------------------------------------------


async def test_list_filters_by_status(client: httpx.AsyncClient) -> None:
    user = new_user()
    await create_task(client, user, title="open 1")
    await create_task(client, user, title="done", completed=True)
    await create_task(client, user, title="open 2")

    assert sorted(await titles(client, user)) == ["done", "open 1", "open 2"]
    assert sorted(await titles(client, user, "status=all")) == ["done", "open 1", "open 2"]
    assert sorted(await titles(client, user, "status=pending")) == ["open 1", "open 2"]
    assert await titles(client, user, "status=completed") == ["done"]


async def test_list_sorts_by_creation_newest_first_by_default(client: httpx.AsyncClient) -> None:
    user = new_user()
    for title in ("first", "second", "third"):
        await create_task(client, user, title=title)

    assert await titles(client, user) == ["third", "second", "first"]
    assert await titles(client, user, "sort=created") == ["third", "second", "first"]
    assert await titles(client, user, "sort=created&order=desc") == ["third", "second", "first"]
    assert await titles(client, user, "sort=created&order=asc") == ["first", "second", "third"]


async def test_list_sorts_by_last_update(client: httpx.AsyncClient) -> None:
    user = new_user()
    first = await create_task(client, user, title="first")
    await create_task(client, user, title="second")
    await create_task(client, user, title="third")
    patched = await client.patch(
        f"/api/tasks/{first['id']}", json={"completed": True}, headers=auth(user)
    )
    assert patched.status_code == 200

    assert await titles(client, user, "sort=updated") == ["first", "third", "second"]
    assert await titles(client, user, "sort=updated&order=asc") == ["second", "third", "first"]


async def test_list_sorts_titles_case_insensitively_ascending_by_default(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    for title in ("banana", "Cherry", "apple", "Date"):
        await create_task(client, user, title=title)

    assert await titles(client, user, "sort=title") == ["apple", "banana", "Cherry", "Date"]
    assert await titles(client, user, "sort=title&order=asc") == [
        "apple",
        "banana",
        "Cherry",
        "Date",
    ]
    assert await titles(client, user, "sort=title&order=desc") == [
        "Date",
        "Cherry",
        "banana",
        "apple",
    ]


async def test_list_sorts_by_due_date_with_undated_tasks_last_in_both_orders(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    await create_task(client, user, title="none")
    await create_task(client, user, title="late", due_date="2026-12-31")
    await create_task(client, user, title="early", due_date="2026-01-01")
    await create_task(client, user, title="middle", due_date="2026-06-15")

    assert await titles(client, user, "sort=due_date") == ["early", "middle", "late", "none"]
    assert await titles(client, user, "sort=due_date&order=asc") == [
        "early",
        "middle",
        "late",
        "none",
    ]
    assert await titles(client, user, "sort=due_date&order=desc") == [
        "late",
        "middle",
        "early",
        "none",
    ]


async def test_list_limit_bounds(client: httpx.AsyncClient) -> None:
    user = new_user()
    for index in range(3):
        await create_task(client, user, title=f"t{index}")

    one = await client.get("/api/tasks?limit=1", headers=auth(user))
    assert one.status_code == 200
    assert len(one.json()) == 1
    most = await client.get("/api/tasks?limit=200", headers=auth(user))
    assert most.status_code == 200
    assert len(most.json()) == 3
    assert "link" not in most.headers
    for bad in ("0", "201", "abc", "-1", ""):
        assert_validation_problem(
            await client.get(f"/api/tasks?limit={bad}", headers=auth(user)), "limit"
        )


async def test_list_default_limit_is_100(client: httpx.AsyncClient) -> None:
    user = new_user()
    for index in range(101):
        await create_task(client, user, title=f"t{index:03}")

    response = await client.get("/api/tasks", headers=auth(user))

    assert response.status_code == 200
    assert len(response.json()) == 100
    assert next_link(response) is not None


async def test_list_search_is_case_insensitive_on_title_and_description(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    await create_task(client, user, title="Buy MILK")
    await create_task(client, user, title="call mom", description="about the milkman")
    await create_task(client, user, title="unrelated", description="nothing")

    assert sorted(await titles(client, user, "q=milk")) == ["Buy MILK", "call mom"]
    assert sorted(await titles(client, user, "q=MiLk")) == ["Buy MILK", "call mom"]
    assert await titles(client, user, "q=MILKMAN") == ["call mom"]
    assert await titles(client, user, "q=absent") == []
    assert await titles(client, user, "q=milk&status=completed") == []


async def test_list_search_takes_percent_and_underscore_literally(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    await create_task(client, user, title="100% done")
    await create_task(client, user, title="1000 done")
    await create_task(client, user, title="snake_case")
    await create_task(client, user, title="snakeXcase")
    await create_task(client, user, title="back\\slash")

    assert await titles(client, user, "q=%25") == ["100% done"]
    assert await titles(client, user, "q=0%25") == ["100% done"]
    assert await titles(client, user, "q=_") == ["snake_case"]
    assert await titles(client, user, "q=e_c") == ["snake_case"]
    assert await titles(client, user, "q=%5C") == ["back\\slash"]
    assert sorted(await titles(client, user, "q=done")) == ["100% done", "1000 done"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "done"),
        ("status", "ALL"),
        ("sort", "urgency"),
        ("sort", "created_at"),
        ("priority", "urgent"),
        ("priority", "high,,low"),
        ("due_from", "2026-02-30"),
        ("due_to", "tomorrow"),
        ("remind_to", "2026-01-01T09:00:00"),
        ("due_from", "2026-02-01&due_to=2026-01-01"),
        ("order", "up"),
        ("order", "ascending"),
    ],
)
async def test_list_refuses_unknown_values(
    http_client: httpx.AsyncClient, name: str, value: str
) -> None:
    response = await http_client.get(f"/api/tasks?{name}={value}", headers=auth(new_user()))

    assert_validation_problem(response, name)


# --- list: keyset pagination --------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=created&order=asc",
        "sort=updated",
        "sort=title",
        "sort=title&order=desc",
        "sort=due_date",
        "sort=due_date&order=desc",
        "status=pending&q=task",
    ],
)
async def test_pagination_walks_every_page_without_duplicates_or_gaps(
    client: httpx.AsyncClient, query: str
) -> None:
    user = new_user()
    # Repeated titles and due dates (and missing ones) so ties must be broken by id.
    for index in range(11):
        await create_task(
            client,
            user,
            title=f"Task {'ab'[index % 2]}",
            due_date=None if index % 3 == 0 else f"2026-01-0{1 + index % 2}",
            completed=index == 4,
        )
    everything = await client.get(f"/api/tasks?limit=200&{query}", headers=auth(user))
    assert "link" not in everything.headers
    expected = [task["id"] for task in everything.json()]
    assert len(expected) == (10 if "pending" in query else 11)

    pages: list[list[str]] = []
    response = await client.get(f"/api/tasks?limit=3&{query}", headers=auth(user))
    while True:
        assert response.status_code == 200, response.text
        pages.append([task["id"] for task in response.json()])
        link = next_link(response)
        if link is None:
            break
        assert link.startswith("/api/tasks?")
        assert "limit=3" in link
        response = await client.get(link, headers=auth(user))
        assert len(pages) < 10

    walked = [task_id for page in pages for task_id in page]
    assert walked == expected
    assert all(len(page) == 3 for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= 3


async def test_pagination_has_no_duplicates_or_gaps_when_tasks_are_added_between_pages(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    original = [(await create_task(client, user, title=f"t{index}"))["id"] for index in range(7)]

    seen: list[str] = []
    response = await client.get("/api/tasks?limit=2", headers=auth(user))
    while True:
        assert response.status_code == 200
        seen.extend(task["id"] for task in response.json())
        # Newer tasks sort before the cursor (newest first): they must not shift the pages.
        await create_task(client, user, title="added meanwhile")
        link = next_link(response)
        if link is None:
            break
        response = await client.get(link, headers=auth(user))

    assert seen == list(reversed(original))


async def test_pagination_keeps_filters_search_and_sort_in_the_link(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    for index in range(5):
        await create_task(client, user, title=f"match {index}", completed=index % 2 == 0)
        await create_task(client, user, title=f"other {index}", completed=index % 2 == 0)

    walked = await list_all(
        client, user, "/api/tasks?status=completed&q=MATCH&sort=title&order=desc&limit=1"
    )

    assert [task["title"] for task in walked] == ["match 4", "match 2", "match 0"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "eyJ4IjoxfQ", "e30", "a" * 2000, "%00"],
    ids=["word", "punctuation", "json-wrong-shape", "empty-object", "too-long", "nul"],
)
async def test_a_garbage_cursor_is_422(http_client: httpx.AsyncClient, cursor: str) -> None:
    user = new_user()
    await create_task(http_client, user)

    response = await http_client.get(f"/api/tasks?cursor={cursor}", headers=auth(user))

    assert_validation_problem(response, "cursor")


async def test_a_cursor_of_another_sort_is_422(client: httpx.AsyncClient) -> None:
    user = new_user()
    for index in range(3):
        await create_task(client, user, title=f"t{index}", due_date="2026-01-01")
    first = await client.get("/api/tasks?limit=1&sort=title", headers=auth(user))
    link = next_link(first)
    assert link is not None
    cursor = httpx.URL(link).params["cursor"]

    for query in ("sort=created", "sort=due_date", "sort=title&order=desc"):
        response = await client.get(
            f"/api/tasks?limit=1&{query}&cursor={cursor}", headers=auth(user)
        )
        assert_validation_problem(response, "cursor")
