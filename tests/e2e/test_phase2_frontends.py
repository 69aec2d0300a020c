"""Request patterns of the public "Phase II" frontends, replayed (issue 16): what each class
of them sends, and that the compatibility shape takes it while ``/api/tasks`` stays strict.

1. bodies with unknown or read-only fields, whole task documents echoed back, camelCase names;
2. the spec family's query vocabulary, and stray parameters;
3. PATCH and a PUT without ``title`` on the compatibility shape, ``…/complete`` with a body
   that sets, ``PATCH /api/tasks/{id}/toggle``;
4. a 422's ``detail`` naming the problem;
5. credentialed CORS requests.
"""

from __future__ import annotations

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
)
from tests.http import app_client, auth, make_settings

FRONTEND = "http://localhost:3000"


def compat(user: str, suffix: str = "") -> str:
    return f"/api/{user}/tasks{suffix}"


async def get_task(client: httpx.AsyncClient, user: str, task_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/tasks/{task_id}", headers=auth(user))
    assert response.status_code == 200, response.text
    document = response.json()
    assert isinstance(document, dict)
    return document


# --- 1. bodies ------------------------------------------------------------------------------


async def test_unknown_and_read_only_fields_of_a_create_are_ignored(
    client: httpx.AsyncClient,
) -> None:
    user, other = new_user(), new_user()
    sent_id = str(uuid.uuid4())
    body = {
        "title": "Buy milk",
        "priority": "high",
        "category": "groceries",
        "id": sent_id,
        "user_id": other,
        "userId": other,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "completed_at": "2000-01-01T00:00:00Z",
        "next_task_id": str(uuid.uuid4()),
        "version": 99,
    }

    response = await client.post(compat(user), json=body, headers=auth(user))

    assert response.status_code == 201, response.text
    task = response.json()
    assert task["id"] != sent_id
    assert task["user_id"] == user
    assert task["priority"] == "high"
    assert not task["created_at"].startswith("2000")
    assert task["completed_at"] is None
    assert task["next_task_id"] is None
    assert response.headers["etag"] == '"1"'
    assert "category" not in task
    assert (await client.get("/api/tasks", headers=auth(other))).json() == []
    assert_problem(await client.get(f"/api/tasks/{sent_id}", headers=auth(user)), 404)


async def test_a_whole_task_document_echoed_back_on_put_is_an_edit(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(
        client,
        user,
        title="Pay rent",
        due_date="2026-01-31",
        recurrence={"frequency": "monthly", "interval": 1},
        tags=["home"],
    )
    echoed = {**task, "title": "Pay the rent", "version": 7, "id": str(uuid.uuid4())}
    echoed["recurrence"] = {**task["recurrence"], "starts_on": "1999-01-01"}

    response = await client.put(compat(user, f"/{task['id']}"), json=echoed, headers=auth(user))

    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["id"] == task["id"]
    assert edited["title"] == "Pay the rent"
    assert edited["recurrence"] == task["recurrence"]  # starts_on is read-only
    assert response.headers["etag"] == '"2"'
    assert edited["version"] == 2  # the echoed 7 is ignored, as read-only
    unchanged = {"title", "updated_at", "version"}
    assert {k: v for k, v in edited.items() if k not in unchanged} == {
        k: v for k, v in task.items() if k not in unchanged
    }
    # Echoed unchanged, it changes nothing.
    again = await client.put(compat(user, f"/{task['id']}"), json=edited, headers=auth(user))
    assert again.headers["etag"] == '"2"'


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
async def test_camel_case_names_are_our_fields(client: httpx.AsyncClient, method: str) -> None:
    user = new_user()
    created = await client.post(
        compat(user),
        json={
            "title": "Call mum",
            "dueDate": "2026-12-24",
            "remindAt": "2026-12-24T09:00:00+01:00",
        },
        headers=auth(user),
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["due_date"] == "2026-12-24"
    assert task["remind_at"] == "2026-12-24T08:00:00Z"

    url = compat(user, f"/{task['id']}")
    cleared = await client.request(method, url, json={"remindAt": None}, headers=auth(user))

    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["remind_at"] is None
    assert cleared.json()["due_date"] == "2026-12-24"


async def test_both_spellings_of_a_field_must_agree(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    same = {"title": "t", "due_date": "2026-12-24", "dueDate": "2026-12-24"}
    agreeing = await http_client.post(compat(user), json=same, headers=auth(user))
    assert agreeing.status_code == 201, agreeing.text
    assert agreeing.json()["due_date"] == "2026-12-24"

    differing = {"title": "t", "due_date": "2026-12-24", "dueDate": "2026-12-25"}
    response = await http_client.post(compat(user), json=differing, headers=auth(user))

    body = assert_validation_problem(response, "dueDate")
    assert body["detail"].startswith("dueDate: ")
    assert "due_date" in body["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   ", "category": "x"}, "title"),
        ({"title": "t", "dueDate": "tomorrow"}, "due_date"),
        ({"title": "t", "priority": "urgent"}, "priority"),
        ({"title": "t", "recurrence": {"frequency": "daily", "interval": 0}}, "interval"),
    ],
)
async def test_values_keep_their_rules_on_the_lenient_shape(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    user = new_user()
    response = await client.post(compat(user), json=body, headers=auth(user))
    assert_validation_problem(response, field)
    assert (await client.get("/api/tasks", headers=auth(user))).json() == []


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "", {"title": "t", "category": "work"}),
        ("POST", "", {"title": "t", "dueDate": "2026-12-24"}),
        ("POST", "", {"title": "t", "user_id": "someone"}),
        ("PUT", "/{id}", {"title": "t", "id": "{id}"}),
        ("PATCH", "/{id}", {"completed": True, "created_at": "2026-01-01T00:00:00Z"}),
        ("PATCH", "/{id}/toggle", {"completed": True, "priority": "high"}),
        ("PATCH", "/{id}/toggle", {}),
    ],
)
async def test_the_strict_shape_still_refuses_unknown_fields(
    http_client: httpx.AsyncClient, method: str, suffix: str, body: dict[str, Any]
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    body = {name: value.format(id=task["id"]) if isinstance(value, str) else value
            for name, value in body.items()}  # fmt: skip

    url = "/api/tasks" + suffix.format(id=task["id"])
    response = await http_client.request(method, url, json=body, headers=auth(user))

    assert_problem(response, 422)
    assert await get_task(http_client, user, task["id"]) == task


# --- 2. the query vocabulary ------------------------------------------------------------------


async def titles(client: httpx.AsyncClient, user: str, url: str) -> list[str]:
    response = await client.get(url, headers=auth(user))
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


async def test_the_spec_familys_query_vocabulary(client: httpx.AsyncClient) -> None:
    user = new_user()
    for title in ("Buy milk", "Call mum", "Buy bread"):
        await create_task(client, user, title=title)
    done = await create_task(client, user, title="Buy stamps", completed=True)

    assert await titles(client, user, compat(user, "?search=buy&sort_by=title")) == [
        "Buy bread",
        "Buy milk",
        "Buy stamps",
    ]
    oldest_first = "?sort_by=created_at&sort_order=asc"
    assert await titles(client, user, compat(user, oldest_first)) == [
        "Buy milk",
        "Call mum",
        "Buy bread",
        "Buy stamps",
    ]
    assert await titles(client, user, compat(user, "?sort=updated_at&sort_order=desc")) == [
        "Buy stamps",
        "Buy bread",
        "Call mum",
        "Buy milk",
    ]
    pending = await titles(client, user, compat(user, "?status=incomplete"))
    assert len(pending) == 3
    assert done["title"] not in pending
    # Stray parameters are ignored.
    stray = f"?url_user_id={user}&_=1700000000&search=mum&page=1"
    assert await titles(client, user, compat(user, stray)) == ["Call mum"]


async def test_pagination_follows_the_link_header_with_the_aliases(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    created = [await create_task(client, user, title=f"task {n}") for n in range(5)]
    await create_task(client, user, title="something else")

    url = compat(user, "?search=task&sort_by=created_at&sort_order=asc&limit=2&url_user_id=x")
    listed = await list_all(client, user, url)

    assert [task["id"] for task in listed] == [task["id"] for task in created]


async def test_an_alias_and_our_name_must_agree(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    await create_task(http_client, user, title="milk")
    assert await titles(http_client, user, compat(user, "?search=milk&q=milk")) == ["milk"]
    # Compared in our words: created_at is created.
    assert await titles(http_client, user, compat(user, "?sort_by=created_at&sort=created")) == [
        "milk"
    ]

    response = await http_client.get(compat(user, "?search=milk&q=bread"), headers=auth(user))

    body = assert_validation_problem(response, "search")
    assert body["detail"].startswith("search: ")
    repeated = await http_client.get(compat(user, "?q=milk&q=bread"), headers=auth(user))
    assert_validation_problem(repeated, "q")


@pytest.mark.parametrize(
    "query",
    ["search=milk", "sort_by=title", "sort=created_at", "status=incomplete", "url_user_id=u"],
)
async def test_the_strict_shape_still_refuses_the_vocabulary(
    http_client: httpx.AsyncClient, query: str
) -> None:
    user = new_user()
    response = await http_client.get(f"/api/tasks?{query}", headers=auth(user))
    assert_validation_problem(response, query.split("=")[0])


# --- 3. routes and methods --------------------------------------------------------------------


async def test_patch_on_the_compat_shape_is_a_partial_edit(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user, title="Write report", description="draft")
    url = compat(user, f"/{task['id']}")

    stale = await client.patch(
        url, json={"completed": True}, headers=auth(user) | {"If-Match": '"9"'}
    )
    assert_problem(stale, 412)
    response = await client.patch(
        url, json={"completed": True}, headers=auth(user) | {"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    edited = response.json()
    assert edited["completed"] is True
    assert (edited["title"], edited["description"]) == ("Write report", "draft")


async def test_put_without_a_title_on_the_compat_shape(client: httpx.AsyncClient) -> None:
    """A kanban board moves a card: ``{completed, priority}``."""
    user = new_user()
    task = await create_task(client, user, title="Ship it")

    response = await client.put(
        compat(user, f"/{task['id']}"),
        json={"completed": True, "priority": "high"},
        headers=auth(user),
    )

    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["title"], edited["completed"], edited["priority"]) == ("Ship it", True, "high")
    # /api/tasks keeps its PUT: title required.
    strict = await http_put(client, user, task["id"], {"completed": False})
    assert_validation_problem(strict, "title")


async def http_put(
    client: httpx.AsyncClient, user: str, task_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.put(f"/api/tasks/{task_id}", json=body, headers=auth(user))


@pytest.mark.parametrize("path", ["/api/{user}/tasks/{id}/complete", "/api/tasks/{id}/toggle"])
async def test_a_completion_body_sets_and_no_body_toggles(
    client: httpx.AsyncClient, path: str
) -> None:
    user = new_user()
    task = await create_task(client, user)
    url = path.format(user=user, id=task["id"])

    first = await client.patch(url, json={"completed": True}, headers=auth(user))
    second = await client.patch(url, json={"completed": True}, headers=auth(user))

    assert first.status_code == second.status_code == 200, second.text
    assert second.json()["completed"] is True
    assert second.headers["etag"] == first.headers["etag"] == '"2"'  # set twice: one change
    reopened = await client.patch(url, json={"completed": False}, headers=auth(user))
    assert reopened.json()["completed"] is False
    toggled = await client.patch(url, headers=auth(user))
    assert toggled.json()["completed"] is True
    stale = await client.patch(
        url, json={"completed": False}, headers=auth(user) | {"If-Match": '"2"'}
    )
    assert_problem(stale, 412)
    assert (await get_task(client, user, task["id"]))["completed"] is True


async def test_a_compat_completion_body_without_completed_toggles(
    http_client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    url = compat(user, f"/{task['id']}/complete")

    response = await http_client.patch(url, json={"id": task["id"]}, headers=auth(user))

    assert response.status_code == 200, response.text
    assert response.json()["completed"] is True
    assert_validation_problem(
        await http_client.patch(url, json={"completed": "yes"}, headers=auth(user)), "completed"
    )


@pytest.mark.parametrize("path", ["/api/{user}/tasks/{id}/complete", "/api/tasks/{id}/toggle"])
async def test_setting_a_recurring_task_completed_continues_its_series_once(
    client: httpx.AsyncClient, path: str
) -> None:
    user = new_user()
    task = await create_task(
        client, user, due_date="2026-03-01", recurrence={"frequency": "weekly", "interval": 1}
    )
    url = path.format(user=user, id=task["id"])

    completed = [
        (await client.patch(url, json={"completed": True}, headers=auth(user))).json()
        for _ in range(2)
    ]

    next_id = completed[0]["next_task_id"]
    assert next_id is not None
    assert completed[1]["next_task_id"] == next_id
    following = await get_task(client, user, next_id)
    assert (following["due_date"], following["completed"]) == ("2026-03-08", False)
    assert len((await client.get("/api/tasks", headers=auth(user))).json()) == 2


async def test_another_users_path_is_403_on_the_new_routes(client: httpx.AsyncClient) -> None:
    owner, intruder = new_user(), new_user()
    task = await create_task(client, owner)
    for method, body in (("PATCH", {"completed": True}), ("PUT", {"completed": True})):
        response = await client.request(
            method, compat(owner, f"/{task['id']}"), json=body, headers=auth(intruder)
        )
        assert_problem(response, 403)
    complete = compat(owner, f"/{task['id']}/complete")
    assert_problem(
        await client.patch(complete, json={"completed": True}, headers=auth(intruder)), 403
    )
    assert_problem(
        await client.patch(f"/api/tasks/{task['id']}/toggle", headers=auth(intruder)), 404
    )
    assert await get_task(client, owner, task["id"]) == task


# --- 4. a 422 says what is wrong --------------------------------------------------------------


@pytest.mark.parametrize("collection", ["/api/tasks", "/api/{user}/tasks"])
async def test_a_422_detail_names_the_first_problem(
    http_client: httpx.AsyncClient, collection: str
) -> None:
    user = new_user()
    url = collection.format(user=user)

    blank = await http_client.post(url, json={"title": "  "}, headers=auth(user))
    several = await http_client.post(
        url, json={"title": "t", "priority": "urgent", "completed": "yes"}, headers=auth(user)
    )
    bad_query = await http_client.get(f"{url}?status=done", headers=auth(user))

    assert assert_problem(blank, 422)["detail"] == "title: must not be blank"
    body = assert_validation_problem(several, "priority", "completed")
    first = body["errors"][0]
    assert body["detail"] == f"{first['field']}: {first['message']}"
    assert assert_problem(bad_query, 422)["detail"].startswith("status: ")


async def test_a_422_says_missing_and_unknown_fields_in_plain_words(
    http_client: httpx.AsyncClient,
) -> None:
    user = new_user()
    missing = await http_client.post("/api/tasks", json={"priority": "high"}, headers=auth(user))
    unknown = await http_client.post(
        "/api/tasks", json={"title": "t", "colour": "red"}, headers=auth(user)
    )
    assert assert_problem(missing, 422)["detail"] == "title: is required"
    assert assert_problem(unknown, 422)["detail"] == "colour: is not accepted here"


# --- 5. credentials ---------------------------------------------------------------------------


async def test_credentialed_requests_from_a_listed_origin_are_allowed() -> None:
    origins = [FRONTEND, "https://app.example"]
    async with app_client(make_settings("memory://", cors_origins=origins)) as client:
        user = new_user()
        preflight = await client.options(
            compat(user),
            headers={
                "Origin": FRONTEND,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        listed = await client.get(compat(user), headers=auth(user) | {"Origin": FRONTEND})
        elsewhere = await client.get(
            compat(user), headers=auth(user) | {"Origin": "http://evil.example"}
        )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == FRONTEND
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert listed.headers["access-control-allow-origin"] == FRONTEND
    assert listed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in elsewhere.headers


async def test_a_wildcard_origin_never_allows_credentials() -> None:
    async with app_client(make_settings("memory://", cors_origins=["*"])) as client:
        user = new_user()
        response = await client.get(
            "/api/tasks", headers=auth(user) | {"Origin": FRONTEND, "Cookie": "session=1"}
        )
        preflight = await client.options(
            "/api/tasks",
            headers={"Origin": FRONTEND, "Access-Control-Request-Method": "GET"},
        )

    assert response.status_code == 200
    assert "access-control-allow-credentials" not in response.headers
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
