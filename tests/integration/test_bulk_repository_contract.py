"""The bulk port methods (``add_many``, ``owners_of``, ``remove_all``, ``stats``) behave the
same on the in-memory, SQLite and PostgreSQL stores.

Stats count the whole store, so each test gets a store of its own (a fresh database).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from adapters.memory import InMemoryTaskStore, InMemoryUnitOfWork
from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.errors import DuplicateTaskId
from application.ports import IdempotencyRecord, OwnerTaskCount, UnitOfWork
from application.queries import SortField, SortOrder, TaskQuery
from domain.task import Task
from tests.databases import BACKENDS, fresh_database
from tests.fakes import T0, fields_of

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def uow_factory(store_url: str) -> AsyncIterator[UowFactory]:
    if store_url == "memory://":
        store = InMemoryTaskStore()
        yield lambda: InMemoryUnitOfWork(store)
        return
    engine = create_engine(normalize_database_url(store_url), PoolSettings())
    try:
        yield lambda: SqlUnitOfWork(engine)
    finally:
        await engine.dispose()


def make(owner: str, i: int = 0, **fields: object) -> Task:
    task = Task.create(
        user_id=owner,
        title=f"Task {i} — ünïcode",
        description=fields.pop("description", f"line one\nline {i}\ttabbed"),  # type: ignore[arg-type]
        completed=bool(fields.pop("completed", i % 3 == 0)),
        due_date=fields.pop("due_date", date(2025, 2, 1) + timedelta(days=i) if i % 2 else None),  # type: ignore[arg-type]
        now=T0 + timedelta(seconds=i),
    )
    task.updated_at = task.created_at + timedelta(minutes=i)
    task.version = 1 + i % 4
    return task


async def all_of(uow_factory: UowFactory, owner: str) -> list[Task]:
    query = TaskQuery(sort=SortField.CREATED, order=SortOrder.ASC, limit=10_000)
    async with uow_factory() as uow:
        return list(await uow.tasks.list(owner, query))


async def test_add_many_stores_every_field(uow_factory: UowFactory) -> None:
    tasks = [make("alice", i) for i in range(25)] + [make("bob", 100)]
    tasks[1].description = None
    async with uow_factory() as uow:
        await uow.tasks.add_many(tasks)
        await uow.commit()
    stored = await all_of(uow_factory, "alice")
    assert [fields_of(t) for t in stored] == [fields_of(t) for t in tasks[:25]]
    assert [fields_of(t) for t in await all_of(uow_factory, "bob")] == [fields_of(tasks[25])]


async def test_add_many_of_nothing_is_fine(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.tasks.add_many([])
        await uow.commit()
    assert await all_of(uow_factory, "alice") == []


async def test_add_many_without_commit_writes_nothing(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.tasks.add_many([make("alice", i) for i in range(5)])
        assert len(list(await uow.tasks.list("alice", TaskQuery(limit=50)))) == 5
    assert await all_of(uow_factory, "alice") == []


async def test_add_many_refuses_an_id_that_exists(uow_factory: UowFactory) -> None:
    existing = make("bob", 1)
    async with uow_factory() as uow:
        await uow.tasks.add(existing)
        await uow.commit()
    clash = make("alice", 2)
    clash.id = existing.id
    async with uow_factory() as uow:
        with pytest.raises(DuplicateTaskId):
            await _add_and_commit(uow, [make("alice", 3), clash])
    assert await all_of(uow_factory, "alice") == []


async def test_owners_of_tells_who_holds_each_taken_id(uow_factory: UowFactory) -> None:
    alices, bobs = make("alice", 1), make("bob", 2)
    async with uow_factory() as uow:
        await uow.tasks.add_many([alices, bobs])
        await uow.commit()
    unknown = uuid.uuid4()
    async with uow_factory() as uow:
        assert await uow.tasks.owners_of([alices.id, bobs.id, unknown]) == {
            alices.id: "alice",
            bobs.id: "bob",
        }
        assert await uow.tasks.owners_of([]) == {}
        # Ids written earlier in the same transaction count as taken.
        staged = make("carol", 3)
        await uow.tasks.add_many([staged])
        assert await uow.tasks.owners_of([staged.id]) == {staged.id: "carol"}


async def test_owners_of_takes_a_thousand_ids_at_once(uow_factory: UowFactory) -> None:
    tasks = [make("alice", i) for i in range(1000)]
    async with uow_factory() as uow:
        await uow.tasks.add_many(tasks)
        owners = await uow.tasks.owners_of([t.id for t in tasks])
    assert len(owners) == 1000


async def test_remove_all_erases_one_owner_only(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.tasks.add_many([make("alice", i) for i in range(7)] + [make("bob", 9)])
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tasks.remove_all("alice") == 7
        await uow.commit()
    assert await all_of(uow_factory, "alice") == []
    assert len(await all_of(uow_factory, "bob")) == 1
    async with uow_factory() as uow:
        assert await uow.tasks.remove_all("alice") == 0


async def test_remove_all_without_commit_keeps_everything(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.tasks.add_many([make("alice", i) for i in range(3)])
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tasks.remove_all("alice") == 3
    assert len(await all_of(uow_factory, "alice")) == 3


async def test_idempotency_remove_all_erases_one_owners_keys(uow_factory: UowFactory) -> None:
    task = make("alice", 1)
    async with uow_factory() as uow:
        for owner, key in [("alice", "k1"), ("alice", "k2"), ("bob", "k1")]:
            await uow.idempotency.add(IdempotencyRecord(owner, key, "f" * 64, task, T0))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.idempotency.remove_all("alice") == 2
        await uow.commit()
    cutoff = T0 - timedelta(days=1)
    async with uow_factory() as uow:
        assert await uow.idempotency.get("alice", "k1", created_after=cutoff) is None
        assert await uow.idempotency.get("bob", "k1", created_after=cutoff) is not None
        assert await uow.idempotency.remove_all("alice") == 0


async def test_stats_count_the_whole_store(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        empty = await uow.tasks.stats(top=10)
    assert (empty.owners, empty.tasks, empty.completed, list(empty.largest)) == (0, 0, 0, [])
    tasks = (
        [make("carol", i, completed=False) for i in range(2)]
        + [make("alice", i, completed=True) for i in range(3)]
        + [make("bob", i, completed=False) for i in range(3)]
        + [make("dave", 0, completed=True)]
    )
    async with uow_factory() as uow:
        await uow.tasks.add_many(tasks)
        await uow.commit()
    async with uow_factory() as uow:
        stats = await uow.tasks.stats(top=3)
        everyone = await uow.tasks.stats(top=100)
        none = await uow.tasks.stats(top=0)
    assert (stats.owners, stats.tasks, stats.completed) == (4, 9, 4)
    assert list(stats.largest) == [
        OwnerTaskCount("alice", 3),
        OwnerTaskCount("bob", 3),
        OwnerTaskCount("carol", 2),
    ]
    assert len(everyone.largest) == 4
    assert list(none.largest) == []


async def _add_and_commit(uow: UnitOfWork, tasks: list[Task]) -> None:
    await uow.tasks.add_many(tasks)
    await uow.commit()
