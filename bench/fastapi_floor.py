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
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field

from bench.baseline import (
    POOL,
    dumps,
    fetch_page,
    fetch_task,
    insert_task,
    next_link,
    rename_task,
    task_json,
    user_of,
)

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
JSON = "application/json"
User = Annotated[str, Depends(current_user)]


@app.get("/api/tasks")
async def list_tasks(user: User, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> Response:
    rows = await fetch_page(user, limit)
    body = dumps([task_json(row) for row in rows[:limit]])
    return Response(body, media_type=JSON, headers=next_link(rows, limit))


@app.post("/api/tasks", status_code=201)
async def create_task(user: User, body: NewTask) -> Response:
    row = await insert_task(user, body.title.strip(), body.due_date)
    headers = {"etag": '"1"', "location": f"/api/tasks/{row[0]}"}
    return Response(dumps(task_json(row)), 201, headers=headers, media_type=JSON)


@app.get("/api/tasks/{task_id}")
async def get_task(user: User, task_id: uuid.UUID) -> Response:
    row = await fetch_task(user, task_id)
    if row is None:
        raise HTTPException(404)
    return Response(dumps(task_json(row)), media_type=JSON, headers={"etag": f'"{row[14]}"'})


class TitleChange(BaseModel):
    title: str = Field(min_length=1, max_length=200)


@app.patch("/api/tasks/{task_id}")
async def patch_task(user: User, task_id: uuid.UUID, body: TitleChange) -> Response:
    row = await rename_task(user, task_id, body.title.strip())
    if row is None:
        raise HTTPException(404)
    return Response(dumps(task_json(row)), media_type=JSON, headers={"etag": f'"{row[14]}"'})
