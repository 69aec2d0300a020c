"""A header the service reads one value of, sent twice, is refused (which line a proxy
checked and which one we would use could differ); the lines of a list header count
together."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import assert_problem, new_user
from tests.http import auth, token_for


@pytest.mark.parametrize(
    ("path", "name", "values"),
    [
        ("/api/tasks", "Idempotency-Key", ["key-1", "key-2"]),
        ("/api/tasks", "Idempotency-Key", ["key-1", "key-1"]),
        ("/api/tasks", "Content-Type", ["application/json", "text/plain"]),
        ("/mcp", "Content-Type", ["application/json", "application/json"]),
    ],
)
async def test_a_repeated_single_valued_header_is_a_400(
    http_client: httpx.AsyncClient, path: str, name: str, values: list[str]
) -> None:
    user = new_user()
    headers = [*auth(user).items(), *((name, value) for value in values)]
    response = await http_client.post(path, content=b'{"title": "x"}', headers=headers)
    body = assert_problem(response, 400)
    assert body["detail"] == f"the {name.lower()} header must be sent at most once"
    listed = await http_client.get("/api/tasks", headers=auth(user))
    assert listed.json() == []  # nothing was created


async def test_two_authorization_headers_are_refused_even_when_both_are_valid(
    http_client: httpx.AsyncClient,
) -> None:
    headers = [
        ("Authorization", f"Bearer {token_for('alice')}"),
        ("Authorization", f"Bearer {token_for('mallory')}"),
    ]
    response = await http_client.get("/api/tasks", headers=headers)
    assert_problem(response, 400)


async def test_if_match_lines_are_read_together(client: httpx.AsyncClient) -> None:
    user = new_user()
    created = await client.post("/api/tasks", json={"title": "x"}, headers=auth(user))
    url = f"/api/tasks/{created.json()['id']}"
    stale = [*auth(user).items(), ("If-Match", '"7"'), ("If-Match", '"8"')]
    refused = await client.patch(url, json={"title": "y"}, headers=stale)
    assert_problem(refused, 412)
    current = [*auth(user).items(), ("If-Match", '"7"'), ("If-Match", '"1"')]
    accepted = await client.patch(url, json={"title": "y"}, headers=current)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["title"] == "y"
