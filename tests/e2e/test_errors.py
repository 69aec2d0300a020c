"""Every failure is an RFC 9457 problem with the right status; bad input never gives a 500.

What the HTTP layer decides alone (authentication, routing, methods, body size and syntax,
field validation, control characters) runs on memory:// only (``http_client``); what
involves a store (text stored and read back, long titles, If-Match, missing tasks) runs on
every backend (``client``). tests/reliability/test_hostile_input.py sends NUL and other
unstorable text to SQLite and PostgreSQL as well.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from jose import jwt

from entrypoints.container import build_container
from entrypoints.http.middleware import MAX_BODY_BYTES
from tests.e2e.helpers import (
    assert_problem,
    assert_validation_problem,
    create_task,
    new_user,
)
from tests.http import SECRET, app_client, auth, make_settings

TASK_ROUTES = [
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks/{id}"),
    ("PUT", "/api/tasks/{id}"),
    ("PATCH", "/api/tasks/{id}"),
    ("DELETE", "/api/tasks/{id}"),
]


def b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return str(jwt.encode(claims, secret, algorithm=algorithm))


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": new_user(), "iat": now, "exp": now + 600, **overrides}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- 401 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), TASK_ROUTES)
async def test_every_api_route_needs_a_token(
    http_client: httpx.AsyncClient, method: str, path: str
) -> None:
    body = {"title": "x"} if method in ("POST", "PUT", "PATCH") else None

    response = await http_client.request(method, path.format(id=uuid.uuid4()), json=body)

    assert_problem(response, 401)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    # RFC 6750 §3.1: no error code when the request had no credentials at all.
    assert "error=" not in challenge


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "Token abc.def.ghi", ""],
    ids=["basic", "bearer-without-token", "bearer-blank", "other-scheme", "empty"],
)
async def test_a_request_without_bearer_credentials_is_401(
    http_client: httpx.AsyncClient, authorization: str
) -> None:
    response = await http_client.get("/api/tasks", headers={"Authorization": authorization})

    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def _alg_none_token() -> str:
    header = b64url({"alg": "none", "typ": "JWT"})
    return f"{header}.{b64url(valid_claims())}."


def _unsigned_hs256_token() -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    return f"{header}.{b64url(valid_claims())}."


def _tampered_token() -> str:
    header, _, signature = hs256(valid_claims()).split(".")
    return f"{header}.{b64url(valid_claims(sub='someone-else'))}.{signature}"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "garbage": lambda: "garbage",
    "three-garbage-parts": lambda: "abc.def.ghi",
    "expired": lambda: hs256(
        valid_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "wrong-secret": lambda: hs256(
        valid_claims(), secret="another-secret-that-is-also-long-enough-42"
    ),
    "alg-none": _alg_none_token,
    "alg-none-capitalised": lambda: (
        f"{b64url({'alg': 'None', 'typ': 'JWT'})}.{b64url(valid_claims())}."
    ),
    "hs256-without-signature": _unsigned_hs256_token,
    "tampered-payload": _tampered_token,
    "hs512-with-the-right-secret": lambda: hs256(valid_claims(), algorithm="HS512"),
    "no-exp": lambda: hs256({"sub": new_user(), "iat": int(time.time())}),
    "no-sub": lambda: hs256({"iat": int(time.time()), "exp": int(time.time()) + 600}),
    "empty-sub": lambda: hs256(valid_claims(sub="")),
    "numeric-sub": lambda: hs256(valid_claims(sub=42)),
    "not-yet-valid": lambda: hs256(valid_claims(nbf=int(time.time()) + 3600)),
    "oversized": lambda: hs256(valid_claims(padding="x" * 20_000)),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_an_unacceptable_token_is_401_invalid_token(
    http_client: httpx.AsyncClient, kind: str
) -> None:
    token = BAD_TOKENS[kind]()

    response = await http_client.get("/api/tasks", headers=bearer(token))

    body = assert_problem(response, 401)
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert token not in response.text
    assert isinstance(body["detail"], str)


async def test_an_expired_token_says_so(http_client: httpx.AsyncClient) -> None:
    token = BAD_TOKENS["expired"]()

    response = await http_client.get("/api/tasks", headers=bearer(token))

    body = assert_problem(response, 401)
    assert "expired" in body["detail"]


async def test_a_token_signed_with_the_shared_secret_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    claims = valid_claims()

    response = await client.post(
        "/api/tasks", json={"title": "mine"}, headers=bearer(hs256(claims))
    )

    assert response.status_code == 201
    assert response.json()["user_id"] == claims["sub"]


# --- routes and methods -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/nope", "/api", "/api/task", "/api/tasks/{id}/extra", "/api/users/1/things"]
)
async def test_an_unknown_route_is_a_404_problem(http_client: httpx.AsyncClient, path: str) -> None:
    response = await http_client.get(path.format(id=uuid.uuid4()), headers=auth(new_user()))

    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/api/tasks", {"GET", "POST", "DELETE"}),
        ("PUT", "/api/tasks", {"GET", "POST", "DELETE"}),
        ("DELETE", "/api/someone/tasks", {"GET", "POST"}),
        ("POST", "/api/tasks/summary", {"GET"}),
        ("POST", "/api/tasks/{id}", {"GET", "PUT", "PATCH", "DELETE"}),
        ("POST", "/healthz", {"GET"}),
    ],
)
async def test_an_unsupported_method_is_405_with_allow(
    http_client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await http_client.request(
        method, path.format(id=uuid.uuid4()), headers=auth(new_user())
    )

    body = assert_problem(response, 405)
    assert isinstance(body["detail"], str)
    listed = {part.strip() for part in response.headers["allow"].split(",")}
    assert allowed <= listed
    assert method not in listed


# --- bodies: size and syntax --------------------------------------------------------------


async def test_a_body_over_64_kib_is_413(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    body = json.dumps({"title": "x", "description": "d" * MAX_BODY_BYTES}).encode()

    response = await http_client.post(
        "/api/tasks",
        content=body,
        headers={**auth(user), "Content-Type": "application/json"},
    )

    assert_problem(response, 413)
    assert (await http_client.get("/api/tasks", headers=auth(user))).json() == []


async def test_the_body_limit_is_exactly_64_kib(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    prefix, suffix = b'{"title": "x", "description": "', b'"}'
    padding = MAX_BODY_BYTES - len(prefix) - len(suffix)
    at_limit = prefix + b"d" * padding + suffix
    assert len(at_limit) == MAX_BODY_BYTES
    headers = {**auth(user), "Content-Type": "application/json"}

    # Exactly 64 KiB is read (and refused for its too-long description, not its size)…
    accepted = await http_client.post("/api/tasks", content=at_limit, headers=headers)
    assert_validation_problem(accepted, "description")
    # …one byte more is not read at all.
    over = prefix + b"d" * (padding + 1) + suffix
    assert_problem(await http_client.post("/api/tasks", content=over, headers=headers), 413)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_streamed_body_over_64_kib_without_content_length_is_413(
    http_client: httpx.AsyncClient, method: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    path = "/api/tasks" if method == "POST" else f"/api/tasks/{task['id']}"

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "x", "description": "'
        for _ in range(MAX_BODY_BYTES // 1024 + 16):
            yield b"d" * 1024
        yield b'"}'

    request = http_client.build_request(
        method, path, content=chunks(), headers={**auth(user), "Content-Type": "application/json"}
    )
    assert "content-length" not in request.headers
    assert request.headers.get("transfer-encoding") == "chunked"

    response = await http_client.send(request)

    assert_problem(response, 413)
    assert (await http_client.get(f"/api/tasks/{task['id']}", headers=auth(user))).json() == task


@pytest.mark.parametrize(
    "raw",
    [b'{"title": ', b'{"title": "x",}', b"{'title': 'x'}", b'{"title": "x"} trailing', b"\xff\xfe"],
    ids=["truncated", "trailing-comma", "single-quotes", "trailing-text", "not-utf8"],
)
async def test_malformed_json_is_400(http_client: httpx.AsyncClient, raw: bytes) -> None:
    user = new_user()

    response = await http_client.post(
        "/api/tasks", content=raw, headers={**auth(user), "Content-Type": "application/json"}
    )

    assert_problem(response, 400)
    assert (await http_client.get("/api/tasks", headers=auth(user))).json() == []


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 10_000 + b"]" * 10_000,
        b'{"title": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b'{"title": "x", "description": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}",
    ],
    ids=["array", "in-title", "in-description"],
)
async def test_deeply_nested_json_is_a_client_error(
    http_client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await http_client.post(
        "/api/tasks",
        content=raw,
        headers={**auth(new_user()), "Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("body", [[], ["title"], "title", 42, None])
async def test_a_body_that_is_not_an_object_is_422(
    http_client: httpx.AsyncClient, body: Any
) -> None:
    response = await http_client.post("/api/tasks", json=body, headers=auth(new_user()))

    assert_validation_problem(response)


# --- field validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["user_id", "id", "created_at", "updated_at", "version", "priority", "Title"]
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_a_field_that_is_not_editable_is_422_naming_it(
    http_client: httpx.AsyncClient, method: str, field: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user, title="kept")
    path = "/api/tasks" if method == "POST" else f"/api/tasks/{task['id']}"
    value: Any = str(uuid.uuid4()) if field in ("user_id", "id") else "2020-01-01T00:00:00Z"

    response = await http_client.request(
        method, path, json={"title": "new", field: value}, headers=auth(user)
    )

    assert_validation_problem(response, field)
    tasks = (await http_client.get("/api/tasks", headers=auth(user))).json()
    assert tasks == [task]


@pytest.mark.parametrize("title", ["", " ", "   \t  ", "\n", "\u3000"])
async def test_a_blank_title_is_422(http_client: httpx.AsyncClient, title: str) -> None:
    user = new_user()
    task = await create_task(http_client, user)

    assert_validation_problem(
        await http_client.post("/api/tasks", json={"title": title}, headers=auth(user)), "title"
    )
    for method in ("PUT", "PATCH"):
        response = await http_client.request(
            method, f"/api/tasks/{task['id']}", json={"title": title}, headers=auth(user)
        )
        assert_validation_problem(response, "title")


async def test_title_length_is_checked_after_trimming(client: httpx.AsyncClient) -> None:
    user = new_user()

    exact = await create_task(client, user, title="t" * 200)
    assert exact["title"] == "t" * 200
    padded = await create_task(client, user, title="   " + "p" * 200 + "   ")
    assert padded["title"] == "p" * 200
    emoji = await create_task(client, user, title="🥛" * 200)
    assert emoji["title"] == "🥛" * 200

    for title in ("t" * 201, "  " + "t" * 201 + "  ", "🥛" * 201, "x" * 5000):
        response = await client.post("/api/tasks", json={"title": title}, headers=auth(user))
        assert_validation_problem(response, "title")
    patch = await client.patch(
        f"/api/tasks/{exact['id']}", json={"title": "t" * 201}, headers=auth(user)
    )
    assert_validation_problem(patch, "title")


async def test_description_is_at_most_1000_characters(client: httpx.AsyncClient) -> None:
    user = new_user()

    task = await create_task(client, user, description="d" * 1000)
    assert task["description"] == "d" * 1000

    for method, path in (("POST", "/api/tasks"), ("PATCH", f"/api/tasks/{task['id']}")):
        response = await client.request(
            method, path, json={"title": "x", "description": "d" * 1001}, headers=auth(user)
        )
        assert_validation_problem(response, "description")


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("title", "nul\x00inside"),
        ("title", "\x00"),
        ("title", "bell\x07"),
        ("title", "escape\x1b[31m"),
        ("title", "del\x7f"),
        ("title", "n\x85el"),
        ("title", "line\nbreak"),
        ("title", "tab\tinside"),
        ("description", "nul\x00inside"),
        ("description", "bell\x07"),
        ("description", "escape\x1b[2J"),
        ("description", "unit\x1fseparator"),
    ],
)
async def test_control_characters_are_422(
    http_client: httpx.AsyncClient, field: str, text: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    body = {"title": "ok", field: text}

    assert_validation_problem(
        await http_client.post("/api/tasks", json=body, headers=auth(user)), field
    )
    assert_validation_problem(
        await http_client.patch(f"/api/tasks/{task['id']}", json={field: text}, headers=auth(user)),
        field,
    )
    assert (await http_client.get("/api/tasks", headers=auth(user))).json() == [task]


async def test_a_description_may_hold_line_breaks_and_tabs(client: httpx.AsyncClient) -> None:
    task = await create_task(client, new_user(), description="line 1\r\nline 2\n\tindented")

    assert task["description"] == "line 1\r\nline 2\n\tindented"


@pytest.mark.parametrize(
    "text",
    [
        "Buy 🥛 and 🍞",
        "family 👨‍👩‍👧‍👦 flag 🇫🇷 skin 👍🏽",
        "שלום עולם",
        "مرحبا بالعالم",
        "mixed \u202eRTL override\u202c and \u200fmark",
        "combining e\u0301 a\u030a n\u0303",
        "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
        "日本語のタスク",
        "\U0001f600" * 3,
    ],
    ids=[
        "emoji",
        "zwj-sequences",
        "hebrew",
        "arabic",
        "bidi-controls",
        "combining",
        "zalgo",
        "cjk",
        "astral",
    ],
)
async def test_unicode_text_is_accepted_and_round_tripped(
    client: httpx.AsyncClient, text: str
) -> None:
    user = new_user()

    task = await create_task(client, user, title=text, description=text)

    assert task["title"] == text.strip()
    assert task["description"] == text
    fetched = await client.get(f"/api/tasks/{task['id']}", headers=auth(user))
    assert fetched.json() == task
    listed = await client.get("/api/tasks", params={"q": text.strip()[:5]}, headers=auth(user))
    assert [t["id"] for t in listed.json()] == [task["id"]]


@pytest.mark.parametrize(
    "due_date",
    [
        "2026-13-01",
        "2026-02-30",
        "2026-00-10",
        "2025-02-29",
        1700000000,
        1.5,
        True,
        "2026-01-01T00:00:00",
        "2026-01-01T00:00:00Z",
        "2026-01-01 00:00",
        "2026/01/01",
        "01-02-2026",
        "2026-1-1",
        "20260101",
        "",
        "tomorrow",
        ["2026-01-01"],
        {"date": "2026-01-01"},
    ],
)
async def test_a_due_date_that_is_not_yyyy_mm_dd_is_422(
    http_client: httpx.AsyncClient, due_date: Any
) -> None:
    user = new_user()
    task = await create_task(http_client, user, due_date="2026-01-01")

    assert_validation_problem(
        await http_client.post(
            "/api/tasks", json={"title": "x", "due_date": due_date}, headers=auth(user)
        ),
        "due_date",
    )
    assert_validation_problem(
        await http_client.patch(
            f"/api/tasks/{task['id']}", json={"due_date": due_date}, headers=auth(user)
        ),
        "due_date",
    )


async def test_a_leap_day_is_a_valid_due_date(client: httpx.AsyncClient) -> None:
    task = await create_task(client, new_user(), due_date="2028-02-29")

    assert task["due_date"] == "2028-02-29"


@pytest.mark.parametrize("completed", ["true", "false", 1, 0, "yes", "on", None])
async def test_completed_must_be_a_json_boolean(
    http_client: httpx.AsyncClient, completed: Any
) -> None:
    user = new_user()
    task = await create_task(http_client, user)

    assert_validation_problem(
        await http_client.post(
            "/api/tasks", json={"title": "x", "completed": completed}, headers=auth(user)
        ),
        "completed",
    )
    assert_validation_problem(
        await http_client.patch(
            f"/api/tasks/{task['id']}", json={"completed": completed}, headers=auth(user)
        ),
        "completed",
    )


@pytest.mark.parametrize("value", [5, True, ["a"], {"a": 1}])
async def test_text_fields_must_be_strings(http_client: httpx.AsyncClient, value: Any) -> None:
    user = new_user()

    assert_validation_problem(
        await http_client.post("/api/tasks", json={"title": value}, headers=auth(user)), "title"
    )
    assert_validation_problem(
        await http_client.post(
            "/api/tasks", json={"title": "x", "description": value}, headers=auth(user)
        ),
        "description",
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "task_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%00", "..%2f.."]
)
async def test_a_task_id_that_is_not_a_uuid_is_a_client_error(
    http_client: httpx.AsyncClient, method: str, task_id: str
) -> None:
    body = {"title": "x"} if method in ("PUT", "PATCH") else None

    response = await http_client.request(
        method, f"/api/tasks/{task_id}", json=body, headers=auth(new_user())
    )

    assert 400 <= response.status_code < 500
    body_ = assert_problem(response, response.status_code)
    if response.status_code == 422:
        assert_validation_problem(response, "task_id")
    assert body_["status"] != 500


# --- If-Match -----------------------------------------------------------------------------


async def test_if_match_guards_every_write(client: httpx.AsyncClient) -> None:
    user = new_user()
    created = await client.post("/api/tasks", json={"title": "v1"}, headers=auth(user))
    task = created.json()
    url = f"/api/tasks/{task['id']}"
    etag = created.headers["etag"]

    for method, body in (
        ("PUT", {"title": "lost"}),
        ("PATCH", {"title": "lost"}),
        ("DELETE", None),
    ):
        stale = await client.request(
            method, url, json=body, headers=auth(user) | {"If-Match": '"999"'}
        )
        assert_problem(stale, 412)
    weak = await client.patch(
        url, json={"title": "lost"}, headers=auth(user) | {"If-Match": f"W/{etag}"}
    )
    assert_problem(weak, 412)
    unchanged = await client.get(url, headers=auth(user))
    assert unchanged.json() == task
    assert unchanged.headers["etag"] == etag

    matching = await client.patch(
        url, json={"title": "v2"}, headers=auth(user) | {"If-Match": etag}
    )
    assert matching.status_code == 200, matching.text
    assert matching.json()["title"] == "v2"
    new_etag = matching.headers["etag"]
    assert new_etag != etag

    # The old ETag is stale now, for PUT and DELETE as well.
    assert_problem(
        await client.put(url, json={"title": "v3"}, headers=auth(user) | {"If-Match": etag}), 412
    )
    assert_problem(await client.delete(url, headers=auth(user) | {"If-Match": etag}), 412)

    replaced = await client.put(
        url, json={"title": "v3"}, headers=auth(user) | {"If-Match": f'"999", {new_etag}'}
    )
    assert replaced.status_code == 200, replaced.text
    star = await client.patch(url, json={"completed": True}, headers=auth(user) | {"If-Match": "*"})
    assert star.status_code == 200
    assert star.json()["completed"] is True

    deleted = await client.delete(url, headers=auth(user) | {"If-Match": star.headers["etag"]})
    assert deleted.status_code == 204
    assert_problem(await client.get(url, headers=auth(user)), 404)


async def test_a_weak_if_match_never_matches(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user)

    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"title": "no"}, headers=auth(user) | {"If-Match": 'W/"1"'}
    )

    assert_problem(response, 412)


@pytest.mark.parametrize("header", ["1", "abc", '"unterminated', "W/1", '"1",,"2"'])
async def test_a_malformed_if_match_is_a_client_error(
    http_client: httpx.AsyncClient, header: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)

    response = await http_client.patch(
        f"/api/tasks/{task['id']}", json={"title": "no"}, headers=auth(user) | {"If-Match": header}
    )

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert (await http_client.get(f"/api/tasks/{task['id']}", headers=auth(user))).json() == task


async def test_if_match_on_a_missing_task_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(
        f"/api/tasks/{uuid.uuid4()}",
        json={"title": "x"},
        headers=auth(new_user()) | {"If-Match": '"1"'},
    )

    assert_problem(response, 404)


# --- 500 ----------------------------------------------------------------------------------


class BrokenClock:
    """A clock that fails the way an unexpected bug would."""

    def now(self) -> datetime:
        raise RuntimeError("clock exploded at /srv/secret/config.py line 42")


@pytest.fixture
async def broken_client() -> AsyncIterator[httpx.AsyncClient]:
    container = build_container(make_settings("memory://"))
    container.clock.override(providers.Object(BrokenClock()))
    async with app_client(container) as http:
        yield http


async def test_an_unexpected_error_is_a_500_problem_with_the_request_id(
    broken_client: httpx.AsyncClient,
) -> None:
    response = await broken_client.post("/api/tasks", json={"title": "x"}, headers=auth(new_user()))

    body = assert_problem(response, 500)
    request_id = response.headers["x-request-id"]
    assert request_id
    assert body["request_id"] == request_id
    for leak in ("Traceback", "RuntimeError", "exploded", "/srv/secret", 'File "'):
        assert leak not in response.text


async def test_a_500_echoes_the_callers_request_id(broken_client: httpx.AsyncClient) -> None:
    response = await broken_client.post(
        "/api/tasks",
        json={"title": "x"},
        headers=auth(new_user()) | {"X-Request-ID": "trace-abc.123"},
    )

    body = assert_problem(response, 500)
    assert response.headers["x-request-id"] == "trace-abc.123"
    assert body["request_id"] == "trace-abc.123"


async def test_other_routes_still_work_when_one_fails(broken_client: httpx.AsyncClient) -> None:
    user = new_user()
    assert_problem(
        await broken_client.post("/api/tasks", json={"title": "x"}, headers=auth(user)), 500
    )

    listed = await broken_client.get("/api/tasks", headers=auth(user))

    assert listed.status_code == 200
    assert listed.json() == []


async def test_every_problem_carries_the_request_id_header(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/api/tasks"),
        await client.get("/nope"),
        await client.get(f"/api/tasks/{uuid.uuid4()}", headers=auth(new_user())),
    ):
        body = assert_problem(response, response.status_code)
        assert body["request_id"] == response.headers["x-request-id"]
