"""The FastAPI floor: the least a FastAPI app does for the raw baseline's work.

Issue 14's reference point: "a minimal FastAPI app doing the same work honestly (a bearer
dependency verifying HS256 with a per-token cache, a pydantic body, a psycopg autocommit
pool, orjson)". It answers what bench/baseline.py answers (the service's documents and
headers), with the baseline's pool, statements and document code; only the framework is
added. ``bench/cpu.py --fastapi-floor`` measures it beside the service and the baseline:
what FastAPI itself costs, and so how far the service's layers are from it.

    DATABASE_URL=postgresql://… BETTER_AUTH_SECRET=… uvicorn bench.fastapi_floor:app
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field

from bench.baseline import COLUMNS, POOL, dumps, seal_cursor, task_json, user_of

_verified: dict[str, str] = {}


async def current_user(authorization: Annotated[str, Header()]) -> str:
    """The token's subject, verified once per token (HS256, as the baseline checks it)."""
    user = _verified.get(authorization)
    if user is None:
        user = user_of({"headers": [(b"authorization", authorization.encode())]})
        if user is None:
            raise HTTPException(401)
        _verified[authorization] = user
    return user


class NewTask(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    due_date: date | None = None


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await POOL.open()
    yield
    await POOL.close()


app = FastAPI(lifespan=lifespan)
User = Annotated[str, Depends(current_user)]


@app.get("/api/tasks")
async def list_tasks(user: User, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> Response:
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s "
            "ORDER BY created_at DESC, id DESC LIMIT %s",
            (user, limit + 1),
        )
        rows = await cursor.fetchall()
    headers = {}
    if len(rows) > limit:
        headers["link"] = (
            f'</api/tasks?limit={limit}&cursor={seal_cursor(rows[limit - 1])}>; rel="next"'
        )
    body = dumps([task_json(row) for row in rows[:limit]])
    return Response(body, media_type="application/json", headers=headers)


@app.post("/api/tasks", status_code=201)
async def create_task(user: User, body: NewTask) -> Response:
    title = body.title.strip()
    now = datetime.now(UTC)
    task_id = uuid.uuid4()
    priority_key = "0" + now.strftime("%Y%m%d%H%M%S%f")
    async with POOL.connection() as conn:
        await conn.execute(
            "INSERT INTO tasks (id, user_id, title, description, completed, due_date, "
            "created_at, updated_at, version, priority, tags, title_key, description_key, "
            "priority_key) "
            "VALUES (%s, %s, %s, NULL, false, %s, %s, %s, 1, 0, '[]', %s, NULL, %s)",
            (task_id, user, title, body.due_date, now, now, title.casefold(), priority_key),
        )
    row: tuple[object, ...] = (task_id, title, None, False, body.due_date, 0, [], None, None)
    document = task_json((*row, user, now, now, None, None, 1))
    headers = {"etag": '"1"', "location": f"/api/tasks/{task_id}"}
    return Response(dumps(document), 201, headers=headers, media_type="application/json")


@app.get("/api/tasks/{task_id}")
async def get_task(user: User, task_id: uuid.UUID) -> Response:
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            f"SELECT {COLUMNS} FROM tasks WHERE id = %s AND user_id = %s", (task_id, user)
        )
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404)
    headers = {"etag": f'"{row[14]}"'}
    return Response(dumps(task_json(row)), media_type="application/json", headers=headers)


class TitleChange(BaseModel):
    title: str = Field(min_length=1, max_length=200)


@app.patch("/api/tasks/{task_id}")
async def patch_task(user: User, task_id: uuid.UUID, body: TitleChange) -> Response:
    title = body.title.strip()
    async with POOL.connection() as conn:
        cursor = await conn.execute(
            "UPDATE tasks SET title = %s, title_key = %s, updated_at = %s, version = version + 1 "
            f"WHERE id = %s AND user_id = %s RETURNING {COLUMNS}",
            (title, title.casefold(), datetime.now(UTC), task_id, user),
        )
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404)
    headers = {"etag": f'"{row[14]}"'}
    return Response(dumps(task_json(row)), media_type="application/json", headers=headers)
