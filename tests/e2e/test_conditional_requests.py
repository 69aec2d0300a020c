"""Conditional requests (ADR 0025): every task document carries its version, which its ETag
quotes; ``If-None-Match`` on a task's GET answers 304; a 412 names the current ETag; HEAD
answers wherever GET does."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.tables import IDEMPOTENCY_KEYS
from tests.databases import SQL_BACKENDS
from tests.e2e.helpers import assert_problem, create_task, new_user
from tests.http import app_client, auth, make_settings

FRONTEND = "http://localhost:3000"
SHAPES = ["strict", "compat"]


def task_url(shape: str, user: str, task_id: str) -> str:
    return f"/api/tasks/{task_id}" if shape == "strict" else f"/api/{user}/tasks/{task_id}"


def list_url(shape: str, user: str) -> str:
    return "/api/tasks" if shape == "strict" else f"/api/{user}/tasks"


async def edited_task(client: httpx.AsyncClient, user: str, edits: int = 2) -> dict[str, Any]:
    """A task at version ``1 + edits``."""
    task = await create_task(client, user, title="Buy milk")
    for number in range(edits):
        response = await client.patch(
            f"/api/tasks/{task['id']}", json={"description": f"edit {number}"}, headers=auth(user)
        )
        assert response.status_code == 200, response.text
        task = response.json()
    assert task["version"] == 1 + edits
    return task


# --- the version in every document ----------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
async def test_every_document_carries_the_version_its_etag_quotes(
    client: httpx.AsyncClient, shape: str
) -> None:
    user = new_user()
    created = await client.post(list_url(shape, user), json={"title": "a"}, headers=auth(user))
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 1
    assert created.headers["etag"] == '"1"'
    task = await edited_task(client, user)

    fetched = await client.get(task_url(shape, user, task["id"]), headers=auth(user))
    assert fetched.json()["version"] == 3
    assert fetched.headers["etag"] == '"3"'
    listed = await client.get(list_url(shape, user), headers=auth(user))
    versions = {item["id"]: item["version"] for item in listed.json()}
    assert versions == {created.json()["id"]: 1, task["id"]: 3}

    batch = await client.post(
        "/api/tasks/batch", json={"action": "complete", "ids": [task["id"]]}, headers=auth(user)
    )
    assert [item["version"] for item in batch.json()["tasks"]] == [4]


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_listed_version_is_an_if_match_a_patch_accepts(
    client: httpx.AsyncClient, shape: str
) -> None:
    """ "Tick the box" in a list: the item's version is all a conditional write needs."""
    user = new_user()
    task = await edited_task(client, user)
    listed = await client.get(list_url(shape, user), headers=auth(user))
    (item,) = listed.json()
    if_match = {**auth(user), "If-Match": f'"{item["version"]}"'}
    url = task_url(shape, user, item["id"])
    ticked = (
        await client.patch(url, json={"completed": True}, headers=if_match)
        if shape == "strict"
        else await client.patch(f"{url}/complete", headers=if_match)
    )
    assert ticked.status_code == 200, ticked.text
    assert ticked.json()["completed"] is True
    assert ticked.json()["version"] == task["version"] + 1
    assert ticked.headers["etag"] == f'"{ticked.json()["version"]}"'
    stale = await client.patch(url, json={"title": "late"}, headers=if_match)
    assert_problem(stale, 412)


# --- If-None-Match --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "if_none_match",
    ['"3"', 'W/"3"', "*", '"7", "3"', ' W/"1" ,W/"3" ', '"x", W/"3"'],
)
async def test_if_none_match_naming_the_current_etag_is_304_without_a_body(
    client: httpx.AsyncClient, shape: str, if_none_match: str
) -> None:
    user = new_user()
    task = await edited_task(client, user)
    url = task_url(shape, user, task["id"])
    response = await client.get(url, headers={**auth(user), "If-None-Match": if_none_match})
    assert response.status_code == 304
    assert response.headers["etag"] == '"3"'
    assert response.content == b""
    assert "content-type" not in response.headers


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "if_none_match", ['"2"', 'W/"1", "4"', '"abc"', 'W/""', '"03"', '"+3"', '"3.0"']
)
async def test_if_none_match_naming_other_etags_is_the_whole_task(
    client: httpx.AsyncClient, shape: str, if_none_match: str
) -> None:
    user = new_user()
    task = await edited_task(client, user)
    url = task_url(shape, user, task["id"])
    response = await client.get(url, headers={**auth(user), "If-None-Match": if_none_match})
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'
    assert response.json() == task


@pytest.mark.parametrize("tag", [b'"03"', b'"\xb3"', b'"\xb3", "3"', b'"\xd9\xa3"'])
async def test_only_a_tag_as_issued_names_a_version(client: httpx.AsyncClient, tag: bytes) -> None:
    """Entity tags compare character by character (RFC 9110 §8.8.3.2): ``"03"`` and a
    superscript three (``\xb3`` in Latin-1, a digit to ``str.isdigit``) are not ``"3"``."""
    user = new_user()
    task = await edited_task(client, user)
    url = f"/api/tasks/{task['id']}"
    names_three = b'"3"' in tag
    held = await client.get(url, headers=[*auth(user).items(), (b"If-None-Match", tag)])
    assert held.status_code == (304 if names_three else 200)
    write = await client.patch(
        url, json={"title": "y"}, headers=[*auth(user).items(), (b"If-Match", tag)]
    )
    assert write.status_code == (200 if names_three else 412), write.text


async def test_an_etag_from_before_an_edit_gets_the_edited_task(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user, title="v1")
    url = f"/api/tasks/{task['id']}"
    held = {**auth(user), "If-None-Match": '"1"'}
    assert (await client.get(url, headers=held)).status_code == 304
    edited = await client.patch(url, json={"title": "v2"}, headers=auth(user))
    fresh = await client.get(url, headers=held)
    assert fresh.status_code == 200
    assert fresh.json() == edited.json()
    assert fresh.headers["etag"] == '"2"'


async def test_if_none_match_lines_are_read_together(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user, title="x")
    headers = [*auth(user).items(), ("If-None-Match", '"7"'), ("If-None-Match", '"1"')]
    response = await client.get(f"/api/tasks/{task['id']}", headers=headers)
    assert response.status_code == 304


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("if_none_match", ["3", '"3', "W/3", '"3";', "**", '"a" "b"'])
async def test_a_malformed_if_none_match_is_a_400_like_a_malformed_if_match(
    client: httpx.AsyncClient, shape: str, if_none_match: str
) -> None:
    user = new_user()
    task = await create_task(client, user, title="x")
    url = task_url(shape, user, task["id"])
    response = await client.get(url, headers={**auth(user), "If-None-Match": if_none_match})
    body = assert_problem(response, 400)
    assert body["type"] == "/problems/malformed-request"
    assert body["detail"] == "If-None-Match must be '*' or a list of entity tags"
    if_match = await client.patch(
        url, json={"title": "y"}, headers={**auth(user), "If-Match": if_none_match}
    )
    assert assert_problem(if_match, 400)["type"] == body["type"]


async def test_if_none_match_on_a_missing_or_foreign_task_is_404(
    client: httpx.AsyncClient,
) -> None:
    owner, other = new_user(), new_user()
    task = await create_task(client, owner, title="mine")
    for if_none_match in ("*", '"1"'):
        response = await client.get(
            f"/api/tasks/{task['id']}", headers={**auth(other), "If-None-Match": if_none_match}
        )
        assert_problem(response, 404)


# --- 412 names the current ETag -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"title": "late"}),
        ("PUT", "", {"title": "late"}),
        ("DELETE", "", None),
        ("PATCH", "/toggle", None),
        ("PATCH", "/toggle", {"completed": True}),
    ],
)
@pytest.mark.parametrize("if_match", ['"1"', '"1", "2"', 'W/"3"', '"7"'])
async def test_a_412_carries_the_tasks_current_etag(
    client: httpx.AsyncClient,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
    if_match: str,
) -> None:
    user = new_user()
    task = await edited_task(client, user)
    url = f"/api/tasks/{task['id']}"
    response = await client.request(
        method, url + suffix, json=body, headers={**auth(user), "If-Match": if_match}
    )
    assert_problem(response, 412)
    current = await client.get(url, headers=auth(user))
    assert current.json() == task  # nothing changed
    assert response.headers["etag"] == current.headers["etag"] == '"3"'


async def test_a_412_on_the_compatibility_shape_carries_the_current_etag(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await edited_task(client, user)
    url = f"/api/{user}/tasks/{task['id']}"
    stale = {**auth(user), "If-Match": '"1"'}
    for response in (
        await client.put(url, json={"title": "late"}, headers=stale),
        await client.patch(f"{url}/complete", headers=stale),
        await client.delete(url, headers=stale),
    ):
        assert_problem(response, 412)
        assert response.headers["etag"] == '"3"'


async def test_the_losers_of_a_race_are_told_the_winners_etag(
    client: httpx.AsyncClient,
) -> None:
    """Eight tabs save on one ETag: the seven 412s name the version the winner wrote."""
    user = new_user()
    task = await create_task(client, user, title="shared")
    url = f"/api/tasks/{task['id']}"
    headers = {**auth(user), "If-Match": '"1"'}
    responses = await asyncio.gather(
        *(client.patch(url, json={"title": f"writer {i}"}, headers=headers) for i in range(8))
    )
    (winner,) = (response for response in responses if response.status_code == 200)
    losers = [response for response in responses if response is not winner]
    assert [response.status_code for response in losers] == [412] * 7
    assert {response.headers["etag"] for response in losers} == {winner.headers["etag"]}
    assert winner.headers["etag"] == '"2"'


# --- HEAD -----------------------------------------------------------------------------------

# Every GET route of the app (the MCP endpoint is POST only).
GET_PATHS = [
    "/api/tasks",
    "/api/tasks?status=pending&limit=1",
    "/api/{user}/tasks",
    "/api/tasks/{task}",
    "/api/{user}/tasks/{task}",
    "/api/tasks/summary?today=2026-12-24",
    "/api/tags",
    "/healthz",
    "/readyz",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
]
# Differ between any two responses: the request id, and a next page's cursor (sealed with a
# fresh nonce each time, ADR 0022).
_PER_RESPONSE = {"x-request-id", "link"}


def same_headers(head: httpx.Response, get: httpx.Response) -> None:
    assert {k: v for k, v in head.headers.items() if k not in _PER_RESPONSE} == {
        k: v for k, v in get.headers.items() if k not in _PER_RESPONSE
    }
    for name in _PER_RESPONSE:
        assert (name in head.headers) == (name in get.headers), name


@pytest.mark.parametrize("path", GET_PATHS)
async def test_head_answers_every_get_route_with_its_status_and_headers_and_no_body(
    client: httpx.AsyncClient, path: str
) -> None:
    user = new_user()
    task = await create_task(client, user, title="x", tags=["home"])
    await create_task(client, user, title="y")
    url = path.format(user=user, task=task["id"])
    get = await client.get(url, headers=auth(user))
    head = await client.head(url, headers=auth(user))
    assert get.status_code == 200, get.text
    assert head.status_code == 200
    same_headers(head, get)
    assert head.headers["content-length"] == str(len(get.content))
    assert get.content
    assert head.content == b""


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/tasks/{missing}", 404),
        ("/api/{other}/tasks", 403),
        ("/api/tasks?stauts=done", 422),
        ("/api/nowhere", 404),
    ],
)
async def test_head_answers_a_failing_get_with_its_status_and_headers_and_no_body(
    client: httpx.AsyncClient, path: str, status: int
) -> None:
    user = new_user()
    url = path.format(missing="3f2c1d6e-0000-4000-8000-000000000000", other=new_user())
    get = await client.get(url, headers=auth(user))
    head = await client.head(url, headers=auth(user))
    assert_problem(get, status)
    assert head.status_code == status
    same_headers(head, get)
    assert head.content == b""


async def test_head_without_a_token_is_the_gets_401(client: httpx.AsyncClient) -> None:
    get = await client.get("/api/tasks")
    head = await client.head("/api/tasks")
    assert get.status_code == head.status_code == 401
    same_headers(head, get)
    assert head.content == b""


async def test_head_with_if_none_match_is_304_and_a_stale_one_the_headers_of_a_200(
    client: httpx.AsyncClient,
) -> None:
    user = new_user()
    task = await create_task(client, user, title="x")
    url = f"/api/tasks/{task['id']}"
    held = await client.head(url, headers={**auth(user), "If-None-Match": '"1"'})
    assert held.status_code == 304
    assert held.headers["etag"] == '"1"'
    assert held.content == b""
    stale = await client.head(url, headers={**auth(user), "If-None-Match": '"0"'})
    assert stale.status_code == 200
    assert stale.headers["etag"] == '"1"'
    assert stale.content == b""


async def test_head_where_no_get_route_is_a_405_naming_the_methods_that_are(
    http_client: httpx.AsyncClient,
) -> None:
    user = new_user()
    response = await http_client.head("/api/tasks/batch", headers=auth(user))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.content == b""
    mcp = await http_client.head("/mcp", headers=auth(user))
    assert (mcp.status_code, mcp.headers["allow"], mcp.content) == (405, "POST", b"")


async def test_a_405_on_a_get_route_lists_head_among_its_methods(
    http_client: httpx.AsyncClient,
) -> None:
    user = new_user()
    response = await http_client.put("/api/tasks", headers=auth(user))
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD, POST, DELETE"
    task_id = "3f2c1d6e-0000-4000-8000-000000000000"
    on_task = await http_client.post(f"/api/tasks/{task_id}", headers=auth(user))
    assert on_task.headers["allow"] == "GET, HEAD, PUT, PATCH, DELETE"


async def test_head_is_logged_as_head_with_its_route(
    http_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = new_user()
    with caplog.at_level("INFO", logger="todo_api.access"):
        await http_client.head("/api/tasks", headers=auth(user))
    (record,) = [r for r in caplog.records if r.name == "todo_api.access"]
    assert (record.method, record.route, record.status) == ("HEAD", "/api/tasks", 200)  # type: ignore[attr-defined]


async def test_the_openapi_document_lists_no_head_operations_and_documents_the_304(
    http_client: httpx.AsyncClient,
) -> None:
    schema = (await http_client.get("/openapi.json")).json()
    assert not [path for path, item in schema["paths"].items() if "head" in item]
    for path in ("/api/tasks/{task_id}", "/api/{user_id}/tasks/{task_id}"):
        operation = schema["paths"][path]["get"]
        assert "304" in operation["responses"]
        assert "if-none-match" in {parameter["name"] for parameter in operation["parameters"]}
    assert "version" in schema["components"]["schemas"]["TaskOut"]["required"]


# --- CORS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_a_browser_may_send_if_none_match_and_head(
    http_client: httpx.AsyncClient, method: str
) -> None:
    response = await http_client.options(
        "/api/tasks/3f2c1d6e-0000-4000-8000-000000000000",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, if-none-match",
        },
    )
    assert response.status_code == 200, response.text
    assert method in response.headers["access-control-allow-methods"]
    assert "if-none-match" in response.headers["access-control-allow-headers"].lower()
    user = new_user()
    answered = await http_client.get(
        "/api/tasks", headers={**auth(user), "Origin": FRONTEND, "If-None-Match": '"1"'}
    )
    assert "etag" in answered.headers["access-control-expose-headers"].lower()


# --- stored idempotency responses of the previous release -----------------------------------


@pytest.mark.parametrize("backend", SQL_BACKENDS)
@pytest.mark.parametrize("kept", ["previous release", "first format", "without version"])
async def test_a_response_stored_before_this_release_replays_with_its_version(
    request: pytest.FixtureRequest, backend: str, kept: str
) -> None:
    """Stored responses are task records, which always carried the version (the first format
    had the owner too); a record without it is a create's first answer, at version 1."""
    url = str(request.getfixturevalue(f"{backend}_url"))
    user, key = new_user(), f"key-{kept.replace(' ', '-')}"
    body = {"title": "Buy milk", "due_date": "2026-12-24"}
    async with app_client(make_settings(url)) as client:
        headers = {**auth(user), "Idempotency-Key": key}
        first = await client.post("/api/tasks", json=body, headers=headers)
        assert first.status_code == 201, first.text
        document = first.json()
        previous = {name: value for name, value in document.items() if name != "user_id"}
        stored = {
            "previous release": previous,
            "first format": {
                **{name: document[name] for name in ("id", "user_id", "title", "description")},
                **{name: document[name] for name in ("completed", "due_date", "version")},
                "created_at": document["created_at"].replace("Z", "+00:00"),
                "updated_at": document["updated_at"].replace("Z", "+00:00"),
            },
            "without version": {name: v for name, v in previous.items() if name != "version"},
        }[kept]
        await rewrite_stored_response(url, user, key, stored)

        retry = await client.post("/api/tasks", json=body, headers=headers)
        assert retry.status_code == 201, retry.text
        assert retry.json() == document
        assert document["version"] == 1
        assert retry.headers["etag"] == first.headers["etag"] == '"1"'
        assert retry.headers["location"] == first.headers["location"]
        listed = await client.get("/api/tasks", headers=auth(user))
        assert [task["id"] for task in listed.json()] == [document["id"]]


async def rewrite_stored_response(url: str, user: str, key: str, stored: dict[str, Any]) -> None:
    engine = create_engine(normalize_database_url(url), PoolSettings())
    try:
        async with engine.begin() as connection:
            result = await connection.execute(
                sa.update(IDEMPOTENCY_KEYS)
                .where(IDEMPOTENCY_KEYS.c.user_id == user, IDEMPOTENCY_KEYS.c.key == key)
                .values(response=json.dumps(stored))
            )
            assert result.rowcount == 1
    finally:
        await engine.dispose()
