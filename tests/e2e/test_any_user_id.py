"""Any ``sub`` works on the compatibility routes: the user id is a path segment there, and
the ``Location`` and ``Link`` headers carry it percent-encoded — never a header that cannot
be encoded (a 500 after the task was committed, which a retrying client turns into
duplicates) or one that gains parameters."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest

from tests.e2e.helpers import NEXT_LINK
from tests.http import auth

ODD_USER_IDS = [
    "jürgen",
    "日本語のユーザー",
    "user; rel=prev",
    'a"b<c>d',
    "with space",
    "50%off",
    "emoji-🦄",
]
_ASCII_URI = re.compile(r"[A-Za-z0-9\-._~/%?=&]+")


@pytest.mark.parametrize("user", ODD_USER_IDS)
async def test_create_follow_location_and_page_with_any_user_id(
    client: httpx.AsyncClient, user: str
) -> None:
    collection = f"/api/{quote(user, safe='')}/tasks"
    first = await client.post(collection, json={"title": "one"}, headers=auth(user))
    await client.post(collection, json={"title": "two"}, headers=auth(user))
    assert first.status_code == 201, first.text
    location = first.headers["location"]
    assert _ASCII_URI.fullmatch(location), location
    assert (await client.get(location, headers=auth(user))).json() == first.json()

    page = await client.get(f"{collection}?limit=1", headers=auth(user))
    link = page.headers["link"]
    match = NEXT_LINK.fullmatch(link)
    assert match is not None, link
    assert _ASCII_URI.fullmatch(match.group(1)), link
    rest = await client.get(match.group(1), headers=auth(user))
    assert [task["title"] for task in page.json() + rest.json()] == ["two", "one"]

    # Exactly the two tasks: no create failed after committing.
    listed = await client.get(collection, headers=auth(user))
    assert len(listed.json()) == 2
