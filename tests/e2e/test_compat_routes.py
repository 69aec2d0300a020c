"""The "Phase II" routes: /api/{user_id}/tasks on the same use cases, path user = token sub."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.helpers import new_user
from tests.http import auth


async def test_full_flow_through_compat_routes(client: httpx.AsyncClient) -> None:
    user = new_user()
    base = f"/api/{user}/tasks"
    created = await client.post(base, json={"title": "Write report"}, headers=auth(user))
    assert created.status_code == 201
    task = created.json()
    assert created.headers["location"] == f"{base}/{task['id']}"
    assert task["user_id"] == user

    listed = await client.get(base, headers=auth(user))
    assert [t["id"] for t in listed.json()] == [task["id"]]
    # The same task through the main routes.
    assert (await client.get(f"/api/tasks/{task['id']}", headers=auth(user))).json() == task

    got = await client.get(f"{base}/{task['id']}", headers=auth(user))
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'

    replaced = await client.put(
        f"{base}/{task['id']}", json={"title": "Write the report"}, headers=auth(user)
    )
    assert replaced.status_code == 200
    assert replaced.json()["title"] == "Write the report"

    toggled = await client.patch(f"{base}/{task['id']}/complete", headers=auth(user))
    assert toggled.status_code == 200
    assert toggled.json()["completed"] is True
    toggled_back = await client.patch(f"{base}/{task['id']}/complete", headers=auth(user))
    assert toggled_back.json()["completed"] is False

    deleted = await client.delete(f"{base}/{task['id']}", headers=auth(user))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(f"{base}/{task['id']}", headers=auth(user))).status_code == 404


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("POST", ""),
        ("GET", "/{id}"),
        ("PUT", "/{id}"),
        ("PATCH", "/{id}"),
        ("DELETE", "/{id}"),
        ("PATCH", "/{id}/complete"),
    ],
)
async def test_another_users_path_is_403(
    client: httpx.AsyncClient, method: str, suffix: str
) -> None:
    owner, intruder = new_user(), new_user()
    task = (await client.post("/api/tasks", json={"title": "mine"}, headers=auth(owner))).json()
    url = f"/api/{owner}/tasks" + suffix.format(id=task["id"])
    body = {"title": "stolen"} if method in ("POST", "PUT", "PATCH") else None
    response = await client.request(method, url, json=body, headers=auth(intruder))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    unchanged = await client.get(f"/api/tasks/{task['id']}", headers=auth(owner))
    assert unchanged.json() == task
    assert len((await client.get("/api/tasks", headers=auth(owner))).json()) == 1


async def test_compat_routes_need_a_token(http_client: httpx.AsyncClient) -> None:
    response = await http_client.get(f"/api/{uuid.uuid4()}/tasks")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_toggle_honours_if_match(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = (await client.post("/api/tasks", json={"title": "t"}, headers=auth(user))).json()
    url = f"/api/{user}/tasks/{task['id']}/complete"
    stale = await client.patch(url, headers={**auth(user), "If-Match": '"7"'})
    assert stale.status_code == 412
    fresh = await client.patch(url, headers={**auth(user), "If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
