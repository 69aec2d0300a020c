"""The raw baseline: the least a Python service can do for the same work.

A bare ASGI callable, a psycopg async connection pool, HS256 checked with the standard
library's hmac, and orjson. No framework, no ORM, no validation beyond what the work needs,
no layers. The full service is measured against this (bench/run.py).

"The same work" is the service's answer: the same task document (every field), the same
headers (``ETag``, ``Location``, a list's ``Link`` with an AES-GCM sealed cursor), one
statement per request in autocommit. tests/integration/test_bench_baseline.py holds the
two answers equal.

    DATABASE_URL=postgresql://… BETTER_AUTH_SECRET=… uvicorn bench.baseline:app
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

SECRET = os.environ["BETTER_AUTH_SECRET"].encode()
POOL = AsyncConnectionPool(
    os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"),
    min_size=int(os.environ.get("DB_POOL_SIZE", "5")),
    max_size=int(os.environ.get("DB_POOL_SIZE", "5")) + int(os.environ.get("DB_MAX_OVERFLOW", "5")),
    open=False,
    # Autocommit: one statement a request is one round trip, the real floor (in a
    # transaction psycopg would add a BEGIN and the pool a COMMIT).
    kwargs={"row_factory": tuple_row, "autocommit": True},
)
# The task document's fields, in its order.
COLUMNS = (
    "id, title, description, completed, due_date, priority, tags, remind_at, recurrence, "
    "user_id, created_at, updated_at, completed_at, next_task_id, version"
)
PRIORITIES = ("none", "low", "medium", "high")
# A cursor is sealed as the service seals one (adapters/cursor_sealing.py), with a key of
# this process: the work is the same, reading it back is not part of the benchmark.
CURSOR_CIPHER = AESGCM(os.urandom(32))
CURSOR_PURPOSE = b"todo-api page cursor v1"
Scope = dict[str, Any]


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def user_of(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = value[7:].decode()
            header, payload, signature = token.split(".")
            expected = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, b64decode(signature)):
                return None
            claims = orjson.loads(b64decode(payload))
            if claims["exp"] < time.time():
                return None
            return str(claims["sub"])
    return None


def task_json(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "id": row[0],
        "title": row[1],
        "description": row[2],
        "completed": row[3],
        "due_date": row[4],
        "priority": PRIORITIES[row[5]],
        "tags": row[6],
        "remind_at": row[7],
        "recurrence": row[8],
        "user_id": row[9],
        "created_at": row[10],
        "updated_at": row[11],
        "completed_at": row[12],
        "next_task_id": row[13],
        "version": row[14],
    }


def dumps(document: Any) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def seal_cursor(row: tuple[Any, ...]) -> str:
    """The service's cursor for "created, descending, no filters" after ``row``."""
    payload = {
        "s": "created_at",
        "o": "desc",
        "f": base64.urlsafe_b64encode(hashlib.blake2s(b"{}", digest_size=9).digest()).decode(),
        "v": row[10].isoformat(),
        "i": str(row[0]),
    }
    nonce = os.urandom(12)
    sealed = nonce + CURSOR_CIPHER.encrypt(nonce, orjson.dumps(payload), CURSOR_PURPOSE)
    return base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):
            return body


async def respond(
    send: Any,
    status: int,
    body: bytes,
    etag: int | None = None,
    more: dict[str, str] | None = None,
) -> None:
    headers = [(b"content-type", b"application/json")]
    if etag is not None:
        headers.append((b"etag", f'"{etag}"'.encode()))
    headers += [(name.encode(), value.encode()) for name, value in (more or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await POOL.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await POOL.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    user = user_of(scope)
    if user is None:
        await respond(send, 401, b'{"status":401}')
        return
    method, path = scope["method"], scope["path"]
    if path == "/api/tasks" and method == "GET":
        query = dict(parse_qsl(scope["query_string"].decode()))
        await list_tasks(send, user, min(int(query.get("limit", "50")), 100))
    elif path == "/api/tasks" and method == "POST":
        await create_task(send, user, orjson.loads(await read_body(receive)))
    elif path.startswith("/api/tasks/") and method == "GET":
        await get_task(send, user, uuid.UUID(path[11:]))
    elif path.startswith("/api/tasks/") and method == "PATCH":
        await patch_task(send, user, uuid.UUID(path[11:]), orjson.loads(await read_body(receive)))
    else:
        await respond(send, 404, b'{"status":404}')


# The work, one statement each (also bench/fastapi_floor.py's).


async def fetch_page(user: str, limit: int) -> list[tuple[Any, ...]]:
    """The ``limit`` newest tasks and one more (whether there is a next page)."""
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (user, limit + 1),
        )
        return await cursor.fetchall()


def next_link(rows: list[tuple[Any, ...]], limit: int) -> dict[str, str]:
    if len(rows) <= limit:
        return {}
    return {"link": f'</api/tasks?limit={limit}&cursor={seal_cursor(rows[limit - 1])}>; rel="next"'}


async def fetch_task(user: str, task_id: uuid.UUID) -> tuple[Any, ...] | None:
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE id = %s AND user_id = %s",
            (task_id, user),
        )
        return await cursor.fetchone()


async def insert_task(user: str, title: str, due_date: date | None) -> tuple[Any, ...]:
    """The new task's row (as selected), inserted with every NOT NULL column: priority none
    (rank 0), no tags, and the priority sort key (rank, then the creation time as digits)."""
    now = datetime.now(UTC)
    task_id = uuid.uuid4()
    priority_key = "0" + now.strftime("%Y%m%d%H%M%S%f")
    async with POOL.connection() as conn:
        await conn.execute(
            "INSERT INTO tasks (id, user_id, title, description, completed, due_date, "
            "created_at, updated_at, version, priority, tags, title_key, description_key, "
            "priority_key) "
            "VALUES (%s, %s, %s, NULL, false, %s, %s, %s, 1, 0, '[]', %s, NULL, %s)",
            (task_id, user, title, due_date, now, now, title.casefold(), priority_key),
        )
    return (task_id, title, None, False, due_date, 0, [], None, None, user, now, now, None, None, 1)


async def rename_task(user: str, task_id: uuid.UUID, title: str) -> tuple[Any, ...] | None:
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            "UPDATE tasks SET title = %s, title_key = %s, updated_at = %s, version = version + 1 "
            f"WHERE id = %s AND user_id = %s RETURNING {COLUMNS}",
            (title, title.casefold(), datetime.now(UTC), task_id, user),
        )
        return await cursor.fetchone()


async def list_tasks(send: Any, user: str, limit: int) -> None:
    rows = await fetch_page(user, limit)
    body = dumps([task_json(row) for row in rows[:limit]])
    await respond(send, 200, body, more=next_link(rows, limit))


async def get_task(send: Any, user: str, task_id: uuid.UUID) -> None:
    row = await fetch_task(user, task_id)
    if row is None:
        await respond(send, 404, b'{"status":404}')
        return
    await respond(send, 200, dumps(task_json(row)), etag=row[14])


async def create_task(send: Any, user: str, body: dict[str, Any]) -> None:
    title = str(body["title"]).strip()
    due_date = date.fromisoformat(body["due_date"]) if body.get("due_date") else None
    row = await insert_task(user, title, due_date)
    location = f"/api/tasks/{row[0]}"
    await respond(send, 201, dumps(task_json(row)), etag=1, more={"location": location})


async def patch_task(send: Any, user: str, task_id: uuid.UUID, body: dict[str, Any]) -> None:
    row = await rename_task(user, task_id, str(body["title"]).strip())
    if row is None:
        await respond(send, 404, b'{"status":404}')
        return
    await respond(send, 200, dumps(task_json(row)), etag=row[14])
