"""A trailing slash is redirected to the route without it, on this origin: the Location is a
path, never a URL built from the Host header."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import assert_problem, new_user
from tests.http import auth


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/api/tasks/", "/api/tasks"),
        ("/api/tasks/?status=pending&q=milk", "/api/tasks?status=pending&q=milk"),
        ("/api/{user}/tasks/", "/api/{user}/tasks"),
        ("/healthz/", "/healthz"),
    ],
)
async def test_a_trailing_slash_redirects_to_a_path_whatever_the_host(
    http_client: httpx.AsyncClient, path: str, location: str
) -> None:
    user = new_user()
    response = await http_client.get(
        path.format(user=user), headers={**auth(user), "Host": "evil.example"}
    )
    assert response.status_code == 307
    assert response.headers["location"] == location.format(user=user)


@pytest.mark.parametrize("path", ["//evil.example/", "/nope/", "/api/tasks/not-a-uuid/"])
async def test_no_redirect_where_no_route_would_serve_it(
    http_client: httpx.AsyncClient, path: str
) -> None:
    response = await http_client.get(path, headers=auth(new_user()))
    assert_problem(response, 404)
    assert "location" not in response.headers


async def test_a_create_follows_the_redirect_with_its_body(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    first = await http_client.post("/api/tasks/", json={"title": "x"}, headers=auth(user))
    assert first.status_code == 307
    created = await http_client.post(
        first.headers["location"], json={"title": "x"}, headers=auth(user)
    )
    assert created.status_code == 201
