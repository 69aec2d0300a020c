"""Optimistic concurrency: conditional writers on one ETag, exactly one wins."""

from __future__ import annotations

import asyncio

import httpx

from tests.e2e.helpers import new_user
from tests.http import auth


async def create(client: httpx.AsyncClient, user: str) -> tuple[str, str]:
    response = await client.post("/api/tasks", json={"title": "shared"}, headers=auth(user))
    assert response.status_code == 201, response.text
    return response.headers["location"], response.headers["etag"]


async def test_eight_conditional_patches_exactly_one_wins(client: httpx.AsyncClient) -> None:
    user = new_user()
    url, etag = await create(client, user)
    responses = await asyncio.gather(
        *(
            client.patch(
                url, json={"title": f"writer {i}"}, headers={**auth(user), "If-Match": etag}
            )
            for i in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 7
    winner = next(r for r in responses if r.status_code == 200)
    final = await client.get(url, headers=auth(user))
    assert final.json()["title"] == winner.json()["title"]
    assert final.headers["etag"] == '"2"'


async def test_eight_conditional_puts_exactly_one_wins(client: httpx.AsyncClient) -> None:
    user = new_user()
    url, etag = await create(client, user)
    responses = await asyncio.gather(
        *(
            client.put(url, json={"title": f"put {i}"}, headers={**auth(user), "If-Match": etag})
            for i in range(8)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 7


async def test_eight_conditional_deletes_exactly_one_wins(client: httpx.AsyncClient) -> None:
    user = new_user()
    url, etag = await create(client, user)
    responses = await asyncio.gather(
        *(client.delete(url, headers={**auth(user), "If-Match": etag}) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 204
    assert statuses.count(204) == 1
    # The losers see either the changed task (412) or, once it is gone, nothing (404).
    assert set(statuses[1:]) <= {404, 412}


async def test_unconditional_concurrent_patches_lose_no_update(
    client: httpx.AsyncClient,
) -> None:
    """Without If-Match, concurrent edits of different fields are all applied. A writer may
    be told 409 (the task kept changing) but never all of them: the first to commit wins,
    and each 200 is one new version."""
    user = new_user()
    url, _ = await create(client, user)
    edits = [
        {"description": "described"},
        {"completed": True},
        {"due_date": "2026-12-31"},
        {"title": "renamed"},
    ]
    responses = await asyncio.gather(
        *(client.patch(url, json=e, headers=auth(user)) for e in edits)
    )
    assert all(r.status_code in (200, 409) for r in responses)
    applied = [e for e, r in zip(edits, responses, strict=True) if r.status_code == 200]
    assert applied, "every concurrent writer was refused"
    final = await client.get(url, headers=auth(user))
    for edit in applied:
        for field, value in edit.items():
            assert final.json()[field] == value
    assert final.headers["etag"] == f'"{1 + len(applied)}"'


async def test_stale_etag_after_an_update_is_412(client: httpx.AsyncClient) -> None:
    user = new_user()
    url, etag = await create(client, user)
    first = await client.patch(url, json={"title": "v2"}, headers={**auth(user), "If-Match": etag})
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = await client.patch(url, json={"title": "v3"}, headers={**auth(user), "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/precondition-failed"
    listed = await client.patch(
        url,
        json={"title": "v3"},
        headers={**auth(user), "If-Match": f'"99", {first.headers["etag"]}'},
    )
    assert listed.status_code == 200
