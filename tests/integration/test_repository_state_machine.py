"""Stateful test: random adds, edits, removes and lists of a few owners, checked against a
plain dict, on the in-memory repository and on SQLite."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.memory import InMemoryTaskStore, InMemoryUnitOfWork
from adapters.sql.engine import PoolSettings, create_engine, normalize_database_url
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.ports import UnitOfWork
from application.queries import (
    MAX_PAGE_SIZE,
    SortField,
    SortOrder,
    StatusFilter,
    TaskPosition,
    TaskQuery,
    position_of,
)
from domain.task import UNSET, Task, TaskChanges
from tests.fakes import T0, fields_of, reference_order

T = TypeVar("T")
OWNERS = 3

titles = st.one_of(
    st.sampled_from(["apple", "Apple", "banana", "École", "ecole", "zebra", "10%", "a_b"]),
    st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12).filter(
        str.strip
    ),
)
descriptions = st.one_of(st.none(), st.sampled_from(["", "notes", "APPLE pie", "50% off"]))
due_dates = st.one_of(st.none(), st.sampled_from([date(2025, 1, 1), date(2025, 6, 1)]))
# Few distinct instants, so timestamps tie often and the id has to break the ties.
moments = st.integers(0, 3).map(lambda n: T0 + timedelta(microseconds=n))
changes = st.builds(
    TaskChanges,
    title=st.one_of(st.just(UNSET), titles),
    description=st.one_of(st.just(UNSET), descriptions),
    completed=st.one_of(st.just(UNSET), st.booleans()),
    due_date=st.one_of(st.just(UNSET), due_dates),
)
versions = st.sampled_from(["current", "stale", "ahead"])


class RepositoryMachine(RuleBasedStateMachine):
    """The repository must behave like a dict of tasks, kept apart per owner."""

    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.owners = [f"owner-{n}-{uuid.uuid4()}" for n in range(OWNERS)]
        self.model: dict[uuid.UUID, Task] = {}
        self.uow_factory = self.open()

    # Each backend says how to make a unit of work and how to clean up.
    def open(self) -> Callable[[], UnitOfWork]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def teardown(self) -> None:
        try:
            self.close()
        finally:
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def owned_by(self, owner: str) -> list[Task]:
        return [t for t in self.model.values() if t.user_id == owner]

    def expected(self, owner: str, task_id: uuid.UUID) -> Task | None:
        task = self.model.get(task_id)
        return task if task is not None and task.user_id == owner else None

    # --- rules ---------------------------------------------------------------------------

    @rule(
        target=tasks,
        owner=st.integers(0, OWNERS - 1),
        title=titles,
        description=descriptions,
        completed=st.booleans(),
        due_date=due_dates,
        now=moments,
        commit=st.booleans(),
    )
    def add(
        self,
        owner: int,
        title: str,
        description: str | None,
        completed: bool,
        due_date: date | None,
        now: Any,
        commit: bool,
    ) -> uuid.UUID:
        task = Task.create(
            user_id=self.owners[owner],
            title=title,
            description=description,
            completed=completed,
            due_date=due_date,
            now=now,
        )

        async def go() -> None:
            async with self.uow_factory() as uow:
                await uow.tasks.add(task)
                if commit:
                    await uow.commit()

        self.run(go())
        if commit:
            self.model[task.id] = copy.copy(task)
        return task.id  # uncommitted ids stay in play: they must read as missing

    @rule(
        task_id=tasks,
        actor=st.integers(0, OWNERS - 1),
        edit=changes,
        version=versions,
        now=moments,
        commit=st.booleans(),
    )
    def update(
        self,
        task_id: uuid.UUID,
        actor: int,
        edit: TaskChanges,
        version: str,
        now: Any,
        commit: bool,
    ) -> None:
        owner = self.owners[actor]
        known = self.model.get(task_id)

        async def go() -> Task | None:
            async with self.uow_factory() as uow:
                stored = await uow.tasks.get(owner, task_id)
                expected = self.expected(owner, task_id)
                if expected is None:
                    assert stored is None
                    if known is not None:
                        # The real task, presented under the wrong owner, is not written.
                        forged = replace(known, user_id=owner, title="forged")
                        assert not await uow.tasks.update(forged, expected_version=known.version)
                    return None
                assert stored is not None
                assert fields_of(stored) == fields_of(expected)
                stored.apply(edit, now)
                expected_version = {
                    "current": expected.version,
                    "stale": expected.version - 1,
                    "ahead": expected.version + 1,
                }[version]
                written = await uow.tasks.update(stored, expected_version=expected_version)
                assert written == (version == "current")
                if commit:
                    await uow.commit()
                return stored if written and commit else None

        written = self.run(go())
        if written is not None:
            self.model[task_id] = copy.copy(written)

    @rule(
        task_id=tasks,
        actor=st.integers(0, OWNERS - 1),
        version=st.sampled_from(["none", "current", "stale"]),
        commit=st.booleans(),
    )
    def remove(self, task_id: uuid.UUID, actor: int, version: str, commit: bool) -> None:
        owner = self.owners[actor]
        expected = self.expected(owner, task_id)
        expected_version = None
        if version != "none":
            current = expected.version if expected is not None else 1
            expected_version = current if version == "current" else current - 1
        should_remove = expected is not None and version != "stale"

        async def go() -> None:
            async with self.uow_factory() as uow:
                removed = await uow.tasks.remove(owner, task_id, expected_version=expected_version)
                assert removed == should_remove
                if commit:
                    await uow.commit()

        self.run(go())
        if should_remove and commit:
            del self.model[task_id]

    @rule(
        actor=st.integers(0, OWNERS - 1),
        sort=st.sampled_from(SortField),
        order=st.sampled_from([None, *SortOrder]),
        status=st.sampled_from(StatusFilter),
        search=st.sampled_from([None, "", "a", "E", "%", "_", "école", "APPLE"]),
        page_size=st.integers(1, 4),
    )
    def list_pages(
        self,
        actor: int,
        sort: SortField,
        order: SortOrder | None,
        status: StatusFilter,
        search: str | None,
        page_size: int,
    ) -> None:
        owner = self.owners[actor]
        query = TaskQuery(sort=sort, order=order, status=status, search=search, limit=page_size)

        async def go() -> list[Task]:
            seen: list[Task] = []
            after: TaskPosition | None = None
            while True:
                async with self.uow_factory() as uow:
                    page = list(await uow.tasks.list(owner, replace(query, after=after)))
                seen.extend(page)
                if len(page) < page_size:
                    return seen
                after = position_of(page[-1], sort)

        walked = self.run(go())
        assert [t.id for t in walked] == reference_order(self.owned_by(owner), query)
        for task in walked:
            assert fields_of(task) == fields_of(self.model[task.id])

    # --- invariant -----------------------------------------------------------------------

    @invariant()
    def each_owner_sees_exactly_their_tasks(self) -> None:
        async def go() -> dict[str, list[Task]]:
            async with self.uow_factory() as uow:
                return {
                    owner: list(await uow.tasks.list(owner, TaskQuery(limit=MAX_PAGE_SIZE)))
                    for owner in self.owners
                }

        listed = self.run(go())
        for owner, tasks in listed.items():
            assert all(t.user_id == owner for t in tasks)
            assert [t.id for t in tasks] == reference_order(self.owned_by(owner), TaskQuery())
            assert [fields_of(t) for t in tasks] == [fields_of(self.model[t.id]) for t in tasks]


class InMemoryRepositoryMachine(RepositoryMachine):
    def open(self) -> Callable[[], UnitOfWork]:
        store = InMemoryTaskStore()
        return lambda: InMemoryUnitOfWork(store)


class SqliteRepositoryMachine(RepositoryMachine):
    database_url: ClassVar[str | None] = None

    def open(self) -> Callable[[], UnitOfWork]:
        assert self.database_url is not None, "the module fixture sets the database"
        self.engine: AsyncEngine = create_engine(
            normalize_database_url(self.database_url), PoolSettings()
        )
        engine = self.engine
        return lambda: SqlUnitOfWork(engine)

    def close(self) -> None:
        self.run(self.engine.dispose())


@pytest.fixture(scope="module", autouse=True)
def _sqlite_database(sqlite_url: str) -> Iterator[None]:
    SqliteRepositoryMachine.database_url = sqlite_url
    yield
    SqliteRepositoryMachine.database_url = None


MACHINE_SETTINGS = settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestInMemoryRepository = InMemoryRepositoryMachine.TestCase
TestInMemoryRepository.settings = MACHINE_SETTINGS
TestSqliteRepository = SqliteRepositoryMachine.TestCase
TestSqliteRepository.settings = MACHINE_SETTINGS
