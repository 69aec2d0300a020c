"""Reads on PostgreSQL through the driver's cursor (ADR 0029): the same rows as SQLAlchemy's
path, and the choice made per dialect — one process may read the same statement from
PostgreSQL and from SQLite (the tests do, and so does a CLI copy between them)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.repository import _GET
from adapters.sql.transaction import Rows, Transaction
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.queries import TaskQuery
from domain.recurrence import Frequency
from domain.task import Priority, RecurrenceRule, Task
from tests.databases import fresh_sqlite_database

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


async def engine_for(url: str) -> AsyncEngine:
    return create_engine(normalize_database_url(url), PoolSettings(size=2), autocommit=True)


@pytest.fixture
async def engines(postgres_url: str, tmp_path: Path) -> AsyncIterator[dict[str, AsyncEngine]]:
    with fresh_sqlite_database(tmp_path) as sqlite_url:
        made = {
            "postgresql": await engine_for(postgres_url),
            "sqlite": await engine_for(sqlite_url),
        }
        try:
            yield made
        finally:
            for engine in made.values():
                await engine.dispose()


def full_task(owner: str) -> Task:
    return Task.create(
        user_id=owner,
        now=NOW,
        title="Ünïcode title",
        description="notes",
        priority=Priority.HIGH,
        tags=("home", "Work"),
        due_date=NOW.date(),
        recurrence=RecurrenceRule(Frequency.WEEKLY, 2),
    )


async def test_a_statement_read_on_both_databases_in_turn(
    engines: dict[str, AsyncEngine],
) -> None:
    owner = "driver-reads-user"
    task = full_task(owner)
    for engine in engines.values():
        async with SqlUnitOfWork(engine) as uow:
            await uow.tasks.add(task)
            await uow.commit()
    # PostgreSQL first (the driver's cursor), then SQLite (SQLAlchemy), then again.
    for name in ("postgresql", "sqlite", "postgresql", "sqlite"):
        async with SqlUnitOfWork(engines[name]) as uow:
            assert await uow.tasks.get(owner, task.id) == task
            page = await uow.tasks.list(owner, TaskQuery(limit=10))
            assert list(page) == [task]


async def test_the_driver_path_answers_what_sqlalchemy_answers(
    engines: dict[str, AsyncEngine],
) -> None:
    owner = "driver-rows-user"
    task = full_task(owner)
    engine = engines["postgresql"]
    async with SqlUnitOfWork(engine) as uow:
        await uow.tasks.add(task)
        await uow.commit()
    parameters = {"owner": owner, "task_id": task.id}
    transaction = Transaction(engine)
    try:
        through_driver = await transaction.execute(_GET, parameters)
        assert isinstance(through_driver, Rows)
        connection = await transaction.connection()
        through_sqlalchemy = (await connection.execute(_GET, parameters)).all()
    finally:
        await transaction.close()
    assert [tuple(row) for row in through_sqlalchemy] == through_driver.all()
    assert through_driver.one() == through_driver.first()
    with pytest.raises(sa.exc.NoResultFound):
        Rows([]).one()
