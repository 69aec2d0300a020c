"""Hostile input: every bad request is a 4xx problem (never a 500), nothing is half-written,
valid but unusual text round-trips exactly, and no error body shows a traceback, SQL or a
driver message.

What can reach a store (text to store or search for, headers a write reads, a database
that breaks) runs on SQLite and PostgreSQL (``client``), whose drivers are the ones to trip
up; what the HTTP layer refuses before any store is reached (paths, query parameters other
than the search, bodies, media types, tokens) runs once, on memory:// (``http_client``).

Bodies are sent as raw bytes where JSON itself is the attack (lone surrogates as ``\\ud800``
escapes, duplicate keys, nesting): a client library would refuse to encode them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa

from adapters.sql.engine import normalize_database_url, sync_database_url
from entrypoints.http.middleware import MAX_BODY_BYTES
from tests.databases import SQL_BACKENDS
from tests.e2e.helpers import assert_problem, create_task, list_all, new_user, next_link
from tests.http import app_client, auth, make_settings

JSON_TYPE = {"Content-Type": "application/json"}
# What must never reach a client: internals of the stack, whatever went wrong.
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "psycopg",
    "sqlite3",
    "aiosqlite",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "DELETE FROM",
    "pydantic",
    "/work/",
    ".py",
)


@pytest.fixture(params=SQL_BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """``client`` here runs on the SQL backends (tests/http.py has the fixture)."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def assert_clean(response: httpx.Response) -> None:
    for leak in LEAKS:
        assert leak not in response.text, f"{leak!r} in {response.text}"


def assert_client_error(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    """A 4xx problem (one of ``statuses`` when given) that shows nothing internal."""
    assert 400 <= response.status_code < 500, response.text
    if statuses:
        assert response.status_code in statuses, response.text
    assert_clean(response)
    return assert_problem(response, response.status_code)


# --- text that no store can hold: NUL, lone surrogates, other control characters ----------

# JSON text (as sent on the wire) of strings that are not acceptable task text.
UNSTORABLE = {
    "nul": r'"a\u0000b"',
    "only-nul": r'"\u0000"',
    "lone-high-surrogate": r'"a\ud800b"',
    "lone-low-surrogate": r'"\udfff"',
    "reversed-pair": r'"\udc00\ud800"',
    "high-surrogate-at-end": r'"emoji \ud83d"',
    "escape-sequence": r'"\u001b[31mred"',
    "c1-control": r'"a\u0085b"',
}


@pytest.mark.parametrize("text", UNSTORABLE.values(), ids=UNSTORABLE.keys())
@pytest.mark.parametrize("field", ["title", "description"])
async def test_unstorable_text_is_422_in_every_body_and_nothing_is_written(
    client: httpx.AsyncClient, field: str, text: str
) -> None:
    user = new_user()
    task = await create_task(client, user, title="kept", description="kept too")
    other = '"ok"' if field != "title" else None
    fields = f'"{field}": {text}' + (', "title": "ok"' if other else "")
    raw = ("{" + fields + "}").encode()
    headers = {**auth(user), **JSON_TYPE}
    for method, path in [
        ("POST", "/api/tasks"),
        ("PUT", f"/api/tasks/{task['id']}"),
        ("PATCH", f"/api/tasks/{task['id']}"),
        ("POST", f"/api/{user}/tasks"),
        ("PUT", f"/api/{user}/tasks/{task['id']}"),
    ]:
        response = await client.request(method, path, content=raw, headers=headers)
        body = assert_client_error(response, 422)
        assert any(error["field"] == field for error in body["errors"]), body
    assert await list_all(client, user, "/api/tasks") == [task]


# --- unusual but valid text: accepted and returned exactly --------------------------------

ODD_TEXT = {
    "rtl-marks": "\u200f\u05e9\u05dc\u05d5\u05dd\u200e and \u202eoverride\u202c",
    "zero-width": "zero\u200bwidth\u200cnon\u200djoiner\u2060",
    "zwj-family": "👨\u200d👩\u200d👧\u200d👦",
    "combining": "e\u0301 a\u030a Z\u0335\u0324\u0353",
    "four-byte": "\U0001f600\U00010348\U0001d11e\U0010fffd",
    "bom-inside": "a\ufeffb",
    "noncharacters": "\ufdd0\ufffe\uffff\U0010ffff",
    "private-use": "\ue000\U000f0000",
    "nfc-vs-nfd": "\u00e9 e\u0301",
    "sql-ish": "'; DROP TABLE tasks; -- %_\\",
    "html": "<script>alert(1)</script>&amp;",
    "json-escapes": '"quoted" \\ back / slash',
    "line-separators": "a\u2028b\u2029c",
}


@pytest.mark.parametrize("text", ODD_TEXT.values(), ids=ODD_TEXT.keys())
async def test_unusual_valid_text_round_trips_everywhere(
    client: httpx.AsyncClient, text: str
) -> None:
    user = new_user()
    headers = auth(user)
    title = f"x {text} y"
    created = await create_task(client, user, title=title, description=text)
    assert (created["title"], created["description"]) == (title, text)
    # Read back alone, in a list, by search, sorted by title and through a title cursor
    # (the cursor carries the text).
    fetched = await client.get(f"/api/tasks/{created['id']}", headers=headers)
    assert fetched.json() == created
    found = await client.get("/api/tasks", params={"q": text}, headers=headers)
    assert [task["id"] for task in found.json()] == [created["id"]]
    await create_task(client, user, title=f"{text} second")
    first_page = await client.get(
        "/api/tasks", params={"sort": "title", "limit": 1}, headers=headers
    )
    assert first_page.status_code == 200, first_page.text
    link = next_link(first_page)
    assert link is not None
    second_page = await client.get(link, headers=headers)
    assert second_page.status_code == 200, second_page.text
    titles = [task["title"] for task in first_page.json() + second_page.json()]
    assert sorted(titles) == sorted([title, f"{text} second"])
    patched = await client.patch(
        f"/api/tasks/{created['id']}", json={"description": text[::-1]}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == text[::-1]


# --- query parameters -----------------------------------------------------------------------

HOSTILE_VALUES = {
    "nul": "%00",
    "nul-inside": "a%00b",
    "invalid-utf8": "%ff%fe",
    "encoded-surrogate": "%ed%a0%80",
    "overlong-utf8": "%c0%af",
    "rtl": quote("\u202etxt"),
    "emoji": quote("\U0001f600"),
    "zero-width": quote("\u200b"),
    "long": "a" * 5000,
    "percent": "%25",
    "like-wildcards": "%25_%5C",
    "newline": "%0d%0aSet-Cookie:%20x=1",
    "array-syntax": "x&{param}[]=y",
}


async def assert_hostile_query_is_answered(
    client: httpx.AsyncClient, param: str, value: str
) -> None:
    """A list with ``param`` set to the hostile ``value`` is a 422, or a search's 200."""
    user = new_user()
    task = await create_task(client, user)
    query = value.replace("{param}", param)
    for path in ("/api/tasks", f"/api/{user}/tasks"):
        response = await client.get(f"{path}?{param}={query}", headers=auth(user))
        if response.status_code == 200:
            # Only a search may take arbitrary text; it then finds nothing (or the task).
            assert param == "q", response.text
            assert [t["id"] for t in response.json()] in ([], [task["id"]])
        else:
            assert_client_error(response, 422)


@pytest.mark.parametrize("value", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
async def test_hostile_search_text_is_answered_never_500(
    client: httpx.AsyncClient, value: str
) -> None:
    """The search is the parameter whose text reaches the store (a LIKE pattern)."""
    await assert_hostile_query_is_answered(client, "q", value)


@pytest.mark.parametrize("value", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES.keys())
@pytest.mark.parametrize("param", ["cursor", "status", "sort", "order", "limit"])
async def test_hostile_values_of_the_other_query_parameters_are_422(
    http_client: httpx.AsyncClient, param: str, value: str
) -> None:
    """Refused while the query is read (a cursor is decoded and checked before any store
    sees its position)."""
    await assert_hostile_query_is_answered(http_client, param, value)


async def test_a_search_for_nul_is_422_not_a_driver_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/tasks?q=%00&sort=title", headers=auth(new_user()))
    body = assert_client_error(response, 422)
    assert body["errors"][0]["field"] == "q"


# --- path ids -------------------------------------------------------------------------------

NOT_UUIDS = [
    "abc",
    "%00",
    "1",
    "-1",
    "null",
    "%ed%a0%80",
    "\u0661\u0662\u0663",
    "00000000-0000-0000-0000-00000000000g",
    "00000000-0000-0000-0000-0000000000000",
    "{00000000-0000-0000-0000-000000000000}x",
    "a" * 4000,
    "%27%20OR%201=1--",
]


@pytest.mark.parametrize("task_id", NOT_UUIDS)
async def test_path_ids_that_are_not_uuids_are_client_errors(
    http_client: httpx.AsyncClient, task_id: str
) -> None:
    user = new_user()
    headers = auth(user)
    for method, path in [
        ("GET", "/api/tasks/{id}"),
        ("PUT", "/api/tasks/{id}"),
        ("PATCH", "/api/tasks/{id}"),
        ("DELETE", "/api/tasks/{id}"),
        ("GET", "/api/{user}/tasks/{id}"),
        ("PATCH", "/api/{user}/tasks/{id}/complete"),
    ]:
        url = path.format(id=task_id, user=user)
        body = {"title": "x"} if method in ("PUT", "PATCH") else None
        response = await http_client.request(method, url, json=body, headers=headers)
        assert_client_error(response, 404, 422)


async def test_hostile_user_ids_in_compat_paths_are_403(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    for other in ("%00", "%ed%a0%80", quote(user + "\u200b"), quote(user.upper()), "a" * 3000):
        response = await http_client.get(f"/api/{other}/tasks", headers=auth(user))
        assert_client_error(response, 403)


# --- bodies: size, syntax, shape, media type ------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
async def test_bodies_over_64_kib_are_413_with_or_without_content_length(
    http_client: httpx.AsyncClient, method: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    path = "/api/tasks" if method == "POST" else f"/api/tasks/{task['id']}"
    big = json.dumps({"title": "x", "description": "d" * MAX_BODY_BYTES}).encode()

    declared = await http_client.request(
        method, path, content=big, headers={**auth(user), **JSON_TYPE}
    )
    assert_client_error(declared, 413)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    streamed = await http_client.request(
        method, path, content=chunks(), headers={**auth(user), **JSON_TYPE}
    )
    assert "content-length" not in streamed.request.headers
    assert_client_error(streamed, 413)
    assert await list_all(http_client, user, "/api/tasks") == [task]


MALFORMED = {
    "truncated": b'{"title": "a',
    "trailing-garbage": b'{"title": "a"} x',
    "single-quotes": b"{'title': 'a'}",
    "trailing-comma": b'{"title": "a",}',
    "comment": b'{"title": "a" /* c */}',
    "nan": b'{"title": "a", "completed": NaN}',
    "infinity": b'{"title": "a", "due_date": Infinity}',
    "huge-number": b'{"title": "a", "completed": 1e99999}',
    "invalid-utf8": b'{"title": "\xff\xfe"}',
    "latin1": '{"title": "caf\xe9"}'.encode("latin-1"),
    "bad-escape": b'{"title": "\\x41"}',
    "unterminated-escape": b'{"title": "\\u12"}',
    "nul-byte": b'{"title": "a"}\x00',
    "deep-arrays": b"[" * 30000 + b"]" * 30000,
    "deep-objects": b'{"a":' * 10000 + b"1" + b"}" * 10000,
    "deep-in-field": b'{"title": "a", "description": ' + b"[" * 20000 + b"]" * 20000 + b"}",
    "whitespace-only": b"   \n\t ",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_or_deeply_nested_json_is_a_client_error(
    http_client: httpx.AsyncClient, raw: bytes
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    headers = {**auth(user), **JSON_TYPE}
    for method, path in [("POST", "/api/tasks"), ("PATCH", f"/api/tasks/{task['id']}")]:
        response = await http_client.request(method, path, content=raw, headers=headers)
        assert_client_error(response, 400, 413, 422)
    assert await list_all(http_client, user, "/api/tasks") == [task]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "a", "title": "b"}',
        b'{"title": "a", "completed": true, "completed": false}',
        b'{"title": "a", "description": {"x": 1, "x": 2}}',
    ],
    ids=["title-twice", "completed-twice", "nested-duplicate"],
)
async def test_json_with_duplicate_keys_is_refused(
    http_client: httpx.AsyncClient, raw: bytes
) -> None:
    """Which duplicate wins differs between parsers (a proxy may check the first, the app
    use the last): ambiguous bodies are refused, not guessed at."""
    user = new_user()
    task = await create_task(http_client, user)
    headers = {**auth(user), **JSON_TYPE}
    for method, path in [
        ("POST", "/api/tasks"),
        ("PUT", f"/api/tasks/{task['id']}"),
        ("PATCH", f"/api/tasks/{task['id']}"),
    ]:
        response = await http_client.request(method, path, content=raw, headers=headers)
        body = assert_client_error(response, 400)
        assert "duplicate" in body["detail"]
    assert await list_all(http_client, user, "/api/tasks") == [task]


@pytest.mark.parametrize(
    "raw", [b"[]", b'[{"title": "a"}]', b'"a"', b"1", b"-0.5", b"true", b"null", b"{}"]
)
async def test_bodies_that_are_not_task_objects_are_422(
    http_client: httpx.AsyncClient, raw: bytes
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    headers = {**auth(user), **JSON_TYPE}
    for method, path in [
        ("POST", "/api/tasks"),
        ("PUT", f"/api/tasks/{task['id']}"),
        ("POST", f"/api/{user}/tasks"),
    ]:
        response = await http_client.request(method, path, content=raw, headers=headers)
        assert_client_error(response, 422)
    if raw != b"{}":  # an empty PATCH is a valid no-op
        response = await http_client.patch(f"/api/tasks/{task['id']}", content=raw, headers=headers)
        assert_client_error(response, 422)
    assert await list_all(http_client, user, "/api/tasks") == [task]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/octet-stream",
        "json",
        "application/json; charset=latin-1",
    ],
)
async def test_a_body_that_is_not_declared_json_is_a_client_error(
    http_client: httpx.AsyncClient, content_type: str | None
) -> None:
    user = new_user()
    headers = auth(user)
    if content_type is not None:
        headers["Content-Type"] = content_type
    encoding = "latin-1" if "latin" in (content_type or "") else "utf-8"
    raw = json.dumps({"title": "caf\u00e9"}, ensure_ascii=False).encode(encoding)
    response = await http_client.post("/api/tasks", content=raw, headers=headers)
    if content_type is not None and content_type.startswith("application/json"):
        assert_client_error(response, 400)  # declared JSON, but not UTF-8
    else:
        assert_client_error(response, 415)
    assert await list_all(http_client, user, "/api/tasks") == []


async def test_json_media_types_are_accepted(http_client: httpx.AsyncClient) -> None:
    user = new_user()
    for content_type in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
        response = await http_client.post(
            "/api/tasks",
            content=b'{"title": "a"}',
            headers={**auth(user), "Content-Type": content_type},
        )
        assert response.status_code == 201, response.text


# --- query parameters the operation does not define, or given twice ------------------------


@pytest.mark.parametrize(
    "query",
    ["stauts=pending", "status=all&status=completed", "limit=5&limit=500", "q=a&q=b", "=x", "x"],
    ids=["typo", "repeated-status", "repeated-limit", "repeated-q", "empty-name", "bare-name"],
)
async def test_unknown_or_repeated_query_parameters_are_422_naming_them(
    http_client: httpx.AsyncClient, query: str
) -> None:
    user = new_user()
    task = await create_task(http_client, user)
    body = assert_client_error(
        await http_client.get(f"/api/tasks?{query}", headers=auth(user)), 422
    )
    name = query.split("=")[0].split("&")[0]
    if name:
        assert any(error["field"] == name for error in body["errors"]), body
    # Operations without query parameters refuse them too.
    response = await http_client.get(f"/api/tasks/{task['id']}?expand=all", headers=auth(user))
    assert_client_error(response, 422)
    # The compatibility shape ignores parameters it does not define (lenient.py), but a
    # parameter it does define, given twice, is as ambiguous there.
    compat = await http_client.get(f"/api/{user}/tasks?{query}", headers=auth(user))
    if "&" in query:
        assert_client_error(compat, 422)
    else:
        assert compat.status_code == 200, compat.text


# --- headers and tokens ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + "a" * 100_000,
        "Bearer " + "eyJ" + "A" * 20_000 + "." + "B" * 20_000 + ".sig",
        b"Bearer \xff\xfe\x00.\x80.\x81",
        "Bearer a.b",
        "Bearer ...",
        b"Bearer " + "\u202eabc.def.ghi".encode(),
        "Bearer\ttoken",
        "bearer " + "x" * 8000,
    ],
    ids=["100k", "huge-jwt-shape", "binary", "two-parts", "dots", "rtl-bytes", "tab", "8k"],
)
async def test_oversized_or_garbage_tokens_are_401(
    http_client: httpx.AsyncClient, authorization: str | bytes
) -> None:
    response = await http_client.get("/api/tasks", headers={"Authorization": authorization})
    body = assert_client_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")
    # The token is never echoed back (in the body or the challenge).
    token_text = (
        authorization.decode("latin-1") if isinstance(authorization, bytes) else authorization
    )
    secret_part = token_text.split(" ", 1)[-1][:40]
    if len(secret_part) > 5:
        assert secret_part not in response.text
        assert secret_part not in response.headers["www-authenticate"]
    assert body["status"] == 401


async def test_oversized_and_garbage_headers_are_handled(client: httpx.AsyncClient) -> None:
    user = new_user()
    task = await create_task(client, user)
    url = f"/api/tasks/{task['id']}"
    headers = {**auth(user), **JSON_TYPE}
    # Unknown and huge headers are ignored.
    junk = await client.get(url, headers={**headers, "X-Junk": "j" * 60_000})
    assert junk.status_code == 200
    many = await client.get(url, headers={**headers, **{f"X-H{i}": "v" for i in range(500)}})
    assert many.status_code == 200
    # Headers the API reads are checked.
    for name, value in [
        ("If-Match", '"' + "1" * 5000 + '"'),
        ("If-Match", b'"1\x00"'),
        ("If-Match", b"\xff\xfe"),
        ("If-Match", '"1", ' * 2000),
    ]:
        response = await client.patch(url, json={"title": "no"}, headers={**headers, name: value})
        assert_client_error(response, 400, 412, 422)
    for value in ["k" * 5000, b"\xff\xfe", b"a\x00b", "", "\u00e9".encode()]:
        response = await client.post(
            "/api/tasks", json={"title": "no"}, headers={**headers, "Idempotency-Key": value}
        )
        assert_client_error(response, 400, 422)
    assert await list_all(client, user, "/api/tasks") == [task]
    # A hostile X-Request-ID is not echoed: the service makes its own.
    for value in ["a\x00b", "x" * 500, "<script>", "id with spaces"]:
        response = await client.get(url, headers={**headers, "X-Request-ID": value})
        assert response.status_code == 200
        assert response.headers["x-request-id"] != value
        assert response.headers["x-request-id"].isalnum()


# --- the 500 safety net ---------------------------------------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_an_internal_error_is_a_clean_500_whose_request_id_is_logged(
    own_sql_database: str,
) -> None:
    """Data went wrong under the service in a way no retry can fix (a stored priority rank
    no code knows, a constraint no new row can meet): every such error is an internal one. The
    client gets a 500 problem with a request id and nothing else; the log has the same id and
    the whole story. (A missing table or column is a schema not migrated: a 503 saying what
    to run, tests/e2e/test_unmigrated_database.py.)"""
    capture = Capture()
    async with app_client(make_settings(own_sql_database)) as client:
        user = new_user()
        task = await create_task(client, user, title="before the damage")
        engine = sa.create_engine(sync_database_url(normalize_database_url(own_sql_database)))
        sqlite = engine.dialect.name == "sqlite"
        # A rank no code knows (past the check constraint), then inserts no row can pass.
        no_inserts = (
            "CREATE TRIGGER no_inserts BEFORE INSERT ON tasks"
            " BEGIN SELECT RAISE(ABORT, 'no inserts today'); END"
            if sqlite
            else "ALTER TABLE tasks ADD CONSTRAINT no_inserts CHECK (title <> title) NOT VALID"
        )
        with engine.begin() as connection:
            if sqlite:
                connection.execute(sa.text("PRAGMA ignore_check_constraints = ON"))
            else:
                connection.execute(
                    sa.text("ALTER TABLE tasks DROP CONSTRAINT ck_tasks_priority_rank")
                )
            connection.execute(sa.text("UPDATE tasks SET priority = 7"))
            connection.execute(sa.text(no_inserts))
        logging.getLogger("todo_api.errors").addHandler(capture)
        try:
            responses = [
                await client.get("/api/tasks", headers=auth(user)),
                await client.get(f"/api/tasks/{task['id']}", headers=auth(user)),
                await client.post("/api/tasks", json={"title": "x"}, headers=auth(user)),
                await client.get("/api/tasks", headers={**auth(user), "X-Request-ID": "trace-42"}),
            ]
        finally:
            logging.getLogger("todo_api.errors").removeHandler(capture)
            with engine.begin() as connection:
                if sqlite:
                    connection.execute(sa.text("DROP TRIGGER no_inserts"))
                else:
                    connection.execute(sa.text("ALTER TABLE tasks DROP CONSTRAINT no_inserts"))
                connection.execute(sa.text("UPDATE tasks SET priority = 0"))
                if not sqlite:
                    connection.execute(
                        sa.text(
                            "ALTER TABLE tasks ADD CONSTRAINT ck_tasks_priority_rank"
                            " CHECK (priority BETWEEN 0 AND 3)"
                        )
                    )
            engine.dispose()

        for response in responses:
            body = assert_problem(response, 500)
            assert_clean(response)
            assert "no_inserts" not in response.text
            assert body["request_id"] == response.headers["x-request-id"]
        assert responses[-1].headers["x-request-id"] == "trace-42"
        logged = [r for r in capture.records if r.levelno >= logging.ERROR]
        for response in responses:
            request_id = response.headers["x-request-id"]
            (record,) = [r for r in logged if request_id in r.getMessage()]
            assert record.exc_info is not None  # the traceback goes to the log only
        # And the service is fine once the data is repaired.
        assert [t["id"] for t in await list_all(client, user, "/api/tasks")] == [task["id"]]
