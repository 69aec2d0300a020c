"""Stored idempotency responses, as rows: what earlier versions wrote still replays."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.tables import IDEMPOTENCY_KEYS
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import IdempotencyRecord
from domain.task import Task
from tests.fakes import T0, fields_of


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    url = request.getfixturevalue(f"{request.param}_url")
    engine = create_engine(normalize_database_url(url), PoolSettings())
    try:
        yield engine
    finally:
        await engine.dispose()


def a_task(owner: str) -> Task:
    task = Task.create(user_id=owner, title="Buy milk", description="2 l", now=T0)
    task.updated_at = T0 + timedelta(seconds=1)
    task.version = 3
    return task


async def replay(engine: AsyncEngine, owner: str, key: str) -> IdempotencyRecord | None:
    async with SqlUnitOfWork(engine) as uow:
        return await uow.idempotency.get(owner, key, created_after=T0 - timedelta(hours=24))


async def test_a_stored_response_replays_the_task_as_first_created(engine: AsyncEngine) -> None:
    owner = f"user-{uuid.uuid4()}"
    task = a_task(owner)
    async with SqlUnitOfWork(engine) as uow:
        await uow.idempotency.add(IdempotencyRecord(owner, "k1", "f" * 64, task, T0))
        await uow.commit()
    record = await replay(engine, owner, "k1")
    assert record is not None
    assert (record.owner, record.key, record.fingerprint) == (owner, "k1", "f" * 64)
    assert fields_of(record.task) == fields_of(task)


async def test_a_response_stored_in_the_first_format_still_replays(engine: AsyncEngine) -> None:
    """Before the task codec, the stored response carried the owner and ``+00:00`` offsets:
    keys written by the previous release (kept 24 hours) replay after an upgrade."""
    owner = f"user-{uuid.uuid4()}"
    task = a_task(owner)
    first_format = {
        "id": str(task.id),
        "user_id": owner,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": None,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "version": task.version,
    }
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(IDEMPOTENCY_KEYS).values(
                user_id=owner,
                key="old",
                fingerprint="0" * 64,
                task_id=task.id,
                response=json.dumps(first_format, ensure_ascii=False),
                created_at=T0,
            )
        )
    record = await replay(engine, owner, "old")
    assert record is not None
    assert fields_of(record.task) == fields_of(task)
