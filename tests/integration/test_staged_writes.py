"""The staged unit of work on PostgreSQL (ADR 0028): writes held until commit, then sent as
one query that lands whole or not at all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.errors import ConcurrentUpdate, IdempotencyKeyTaken, TaskQuotaExceeded
from application.ports import IdempotencyRecord
from domain.task import Task

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(
        normalize_database_url(postgres_url), PoolSettings(size=2), autocommit=True
    )
    yield engine
    await engine.dispose()


def new_task(owner: str, title: str = "task") -> Task:
    return Task.create(user_id=owner, now=NOW, title=title, tags=("home",))


async def stored(engine: AsyncEngine, owner: str, task_id: uuid.UUID) -> Task | None:
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        return await uow.tasks.get(owner, task_id)


async def test_a_stale_write_takes_the_whole_commit_back(engine: AsyncEngine) -> None:
    owner = f"staged-{uuid.uuid4().hex}"
    kept = new_task(owner, "kept")
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        await uow.tasks.add(kept)
        await uow.commit()
    added = new_task(owner, "added")
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        read = await uow.tasks.get(owner, kept.id)
        assert read is not None
        await uow.tasks.add(added)
        read.title = "changed"
        # Staged: ``True`` for now, whatever the version.
        assert await uow.tasks.update(read, expected_version=read.version + 7)
        with pytest.raises(ConcurrentUpdate):
            await uow.commit()
    # The insert staged before the stale update did not land either.
    assert await stored(engine, owner, added.id) is None
    still = await stored(engine, owner, kept.id)
    assert still is not None
    assert (still.title, still.tags) == ("kept", ("home",))


async def test_the_quota_and_a_taken_key_fail_at_commit_and_write_nothing(
    engine: AsyncEngine,
) -> None:
    owner = f"staged-{uuid.uuid4().hex}"
    first = new_task(owner)
    record = IdempotencyRecord(owner, "key-1", "f" * 64, first, NOW)
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        assert await uow.tasks.add_within(first, max_tasks=1)
        await uow.idempotency.add(record)
        await uow.commit()
    over = new_task(owner, "over")
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        assert await uow.tasks.add_within(over, max_tasks=1)
        with pytest.raises(TaskQuotaExceeded):
            await uow.commit()
    again = new_task(owner, "again")
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        await uow.tasks.add(again)
        await uow.idempotency.add(IdempotencyRecord(owner, "key-1", "f" * 64, again, NOW))
        with pytest.raises(IdempotencyKeyTaken):
            await uow.commit()
    assert await stored(engine, owner, over.id) is None
    assert await stored(engine, owner, again.id) is None


async def test_it_refuses_what_would_break_its_atomicity(engine: AsyncEngine) -> None:
    owner = f"staged-{uuid.uuid4().hex}"
    task = new_task(owner)
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        await uow.tasks.add(task)
        # A read after a staged write would not see it.
        with pytest.raises(RuntimeError):
            await uow.tasks.get(owner, task.id)
    # Never committed: nothing was sent.
    assert await stored(engine, owner, task.id) is None
    async with SqlUnitOfWork(engine, staged_writes=True) as uow:
        # A write that is not staged would commit on its own.
        with pytest.raises(RuntimeError):
            await uow.tasks.remove_completed(owner)
