"""Page cursors over HTTP and across processes (ADR 0022): the `Link` cursor shows no task
content, any process on the same database continues the list, and a retired key makes old
cursors a clear 400, never a 500 or a wrong page."""

from __future__ import annotations

import asyncio
import base64
import re

import httpx
import sqlalchemy as sa

from adapters.sql.tables import SERVICE_SECRETS
from entrypoints.container import build_container, close_container
from tests.e2e.helpers import next_link
from tests.http import app_client, auth, make_settings

USER = "cursor-user"
TITLES = ["Alpha: call the oncologist", "Bravo: pay the bail", "Charlie: renew the visa"]


def next_page(response: httpx.Response) -> str:
    link = next_link(response)
    assert link is not None, "no next page"
    return link


def cursor_of(link: str) -> str:
    match = re.search(r"[?&]cursor=([^&]+)", link)
    assert match is not None, link
    return match.group(1)


async def first_page_link(client: httpx.AsyncClient) -> str:
    for title in TITLES:
        created = await client.post("/api/tasks", json={"title": title}, headers=auth(USER))
        assert created.status_code == 201, created.text
    first = await client.get("/api/tasks?sort=title&limit=1", headers=auth(USER))
    assert first.status_code == 200
    assert [t["title"] for t in first.json()] == TITLES[:1]
    return next_page(first)


async def test_the_link_cursor_shows_no_title_in_clear(http_client: httpx.AsyncClient) -> None:
    link = await first_page_link(http_client)
    cursor = cursor_of(link)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for word in ("Alpha", "oncologist", "call"):
        assert word.encode() not in raw
        assert word not in link


async def test_another_process_on_the_same_database_continues_the_list(
    own_sql_database: str,
) -> None:
    settings = make_settings(own_sql_database)
    async with app_client(settings) as one, app_client(settings) as other:
        link = await first_page_link(one)
        second = await other.get(link, headers=auth(USER))
        assert second.status_code == 200, second.text
        assert [t["title"] for t in second.json()] == TITLES[1:2]
        third = await one.get(next_page(second), headers=auth(USER))
        assert [t["title"] for t in third.json()] == TITLES[2:]
        assert "Link" not in third.headers


async def test_a_retired_key_turns_old_cursors_into_a_422_and_processes_agree_on_the_new_one(
    own_sql_database: str,
) -> None:
    settings = make_settings(own_sql_database)
    async with app_client(settings) as before:
        link = await first_page_link(before)
    container = build_container(settings)
    try:
        async with container.engine().begin() as connection:
            await connection.execute(sa.delete(SERVICE_SECRETS))
    finally:
        await close_container(container)
    # Restarted processes find no key and race to make one: one wins, both use it.
    async with app_client(settings) as one, app_client(settings) as other:
        refused = await one.get(link, headers=auth(USER))
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "cursor" in refused.json()["detail"]
        firsts = await asyncio.gather(
            *(c.get("/api/tasks?sort=title&limit=1", headers=auth(USER)) for c in (one, other))
        )
        for first, continuing in zip(firsts, (other, one), strict=True):
            second = await continuing.get(next_page(first), headers=auth(USER))
            assert [t["title"] for t in second.json()] == TITLES[1:2]


async def test_a_list_whose_longest_titles_sort_first_pages_through(
    http_client: httpx.AsyncClient,
) -> None:
    """A 200-character title of 4-byte characters made a cursor longer than the limit the
    list accepted back: the second page was a 422."""
    titles = ["𝄞" * 200, "𝄞" * 199 + "x", "𝄞" * 199 + "y"]
    for title in titles:
        created = await http_client.post("/api/tasks", json={"title": title}, headers=auth(USER))
        assert created.status_code == 201, created.text
    url, seen = "/api/tasks?sort=title&order=desc&limit=1", []
    while True:
        page = await http_client.get(url, headers=auth(USER))
        assert page.status_code == 200, page.text
        seen += [t["title"] for t in page.json()]
        if "Link" not in page.headers:
            break
        url = next_page(page)
    assert sorted(seen) == sorted(titles)
