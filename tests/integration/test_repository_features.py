"""The repository contract for priorities, tags, reminders and recurrence, and the reads and
writes of many tasks: the same tests on the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from application.queries import SortField, SortOrder, StatusFilter, TaskQuery
from domain.recurrence import Frequency, RecurrenceRule
from domain.task import Priority, Task, TaskChanges
from tests.fakes import T0, fields_of, reference_order
from tests.integration.conftest import UowFactory
from tests.integration.test_repository_contract import add, get, make, varied_tasks, walk


async def test_the_new_fields_round_trip(uow_factory: UowFactory, owner: str) -> None:
    task = make(
        owner,
        "Pay rent",
        due_date=date(2025, 1, 31),
        priority=Priority.HIGH,
        tags=("Home", "money"),
        remind_at=datetime(2025, 1, 31, 8, 0, 0, 123456, tzinfo=UTC),
        recurrence=RecurrenceRule(Frequency.MONTHLY, 1),
    )
    follow_up = task.edit(TaskChanges(completed=True), T0 + timedelta(seconds=1)).next_occurrence
    assert follow_up is not None
    await add(uow_factory, task, follow_up)
    for original in (task, follow_up):
        stored = await get(uow_factory, owner, original.id)
        assert stored is not None
        assert fields_of(stored) == fields_of(original)
    async with uow_factory() as uow:
        listed = {t.id: t for t in await uow.tasks.list(owner, TaskQuery())}
    assert fields_of(listed[task.id]) == fields_of(task)


async def test_an_update_replaces_the_tags_the_filter_sees(
    uow_factory: UowFactory, owner: str
) -> None:
    task = make(owner, tags=("home", "work"))
    await add(uow_factory, task)
    async with uow_factory() as uow:
        stored = await uow.tasks.get(owner, task.id)
        assert stored is not None
        stored.apply(TaskChanges(tags=("Errands",)), T0 + timedelta(seconds=1))
        assert await uow.tasks.update(stored, expected_version=1)
        await uow.commit()
    assert await ids(uow_factory, owner, TaskQuery(tags=("home",))) == []
    assert await ids(uow_factory, owner, TaskQuery(tags=("errands",))) == [task.id]
    async with uow_factory() as uow:
        assert [(t.name, t.count) for t in await uow.tasks.tag_counts(owner)] == [("Errands", 1)]


async def ids(uow_factory: UowFactory, owner: str, query: TaskQuery) -> list[uuid.UUID]:
    return [t.id for t in await walk(uow_factory, owner, query)]


FILTERS = [
    {"priorities": frozenset({Priority.HIGH})},
    {"priorities": frozenset({Priority.LOW, Priority.MEDIUM})},
    {"tags": ("home",)},
    {"tags": ("HOME", "Work")},
    {"tags": ("errands", "work", "home")},
    {"tags": ("nothing",)},
    {"due_from": date(2025, 1, 1)},
    {"due_to": date(2025, 1, 1)},
    {"due_from": date(2025, 1, 1), "due_to": date(2025, 1, 1)},
    {"remind_to": T0},
    {"remind_to": T0 + timedelta(days=1)},
    {"tags": ("work",), "priorities": frozenset({Priority.NONE, Priority.HIGH})},
    {"tags": ("home",), "status": StatusFilter.PENDING, "due_from": date(2024, 1, 1)},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize(
    ("sort", "order"), [(SortField.CREATED, SortOrder.DESC), (SortField.PRIORITY, SortOrder.DESC)]
)
async def test_filters_select_what_the_reference_selects(
    uow_factory: UowFactory,
    owner: str,
    filters: dict[str, object],
    sort: SortField,
    order: SortOrder,
) -> None:
    tasks = varied_tasks(owner, seed=11)
    await add(uow_factory, *tasks)
    query = TaskQuery(sort=sort, order=order, limit=3, **filters)  # type: ignore[arg-type]
    assert await ids(uow_factory, owner, query) == reference_order(tasks, replace(query, limit=200))


async def test_filters_never_reach_another_owners_tasks(
    uow_factory: UowFactory, owner: str
) -> None:
    other = str(uuid.uuid4())
    await add(uow_factory, make(other, tags=("home",), priority=Priority.HIGH, due_date=T0.date()))
    for filters in FILTERS:
        assert await ids(uow_factory, owner, TaskQuery(**filters)) == []  # type: ignore[arg-type]


async def test_get_many_and_remove_many_are_scoped_by_owner(
    uow_factory: UowFactory, owner: str
) -> None:
    mine = [make(owner, f"mine {i}") for i in range(3)]
    theirs = make(str(uuid.uuid4()), "theirs")
    await add(uow_factory, *mine, theirs)
    wanted = [mine[0].id, mine[2].id, theirs.id, uuid.uuid4()]
    async with uow_factory() as uow:
        found = await uow.tasks.get_many(owner, wanted)
    assert {t.id for t in found} == {mine[0].id, mine[2].id}
    async with uow_factory() as uow:
        assert await uow.tasks.remove_many(owner, wanted) == 2
        await uow.commit()
    assert await get(uow_factory, owner, mine[1].id) is not None
    assert await get(uow_factory, theirs.user_id, theirs.id) is not None
    assert await get(uow_factory, owner, mine[0].id) is None


async def test_remove_completed(uow_factory: UowFactory, owner: str) -> None:
    done, pending = make(owner, completed=True, tags=("home",)), make(owner, tags=("home",))
    theirs = make(str(uuid.uuid4()), completed=True)
    await add(uow_factory, done, pending, theirs)
    async with uow_factory() as uow:
        assert await uow.tasks.remove_completed(owner) == 1
        await uow.commit()
    assert await get(uow_factory, owner, done.id) is None
    assert await get(uow_factory, owner, pending.id) is not None
    assert await get(uow_factory, theirs.user_id, theirs.id) is not None
    async with uow_factory() as uow:  # the deleted task's tags went with it
        assert [(t.name, t.count) for t in await uow.tasks.tag_counts(owner)] == [("home", 1)]


async def test_the_summary_counts_in_one_read(uow_factory: UowFactory, owner: str) -> None:
    today = date(2025, 6, 15)
    await add(
        uow_factory,
        make(owner, due_date=date(2025, 6, 1), priority=Priority.HIGH),
        make(owner, due_date=today, priority=Priority.LOW),
        make(owner, due_date=date(2025, 7, 1)),
        make(owner, priority=Priority.HIGH),
        make(owner, due_date=date(2025, 6, 1), completed=True, priority=Priority.MEDIUM),
        make(str(uuid.uuid4()), due_date=date(2025, 6, 1)),
    )
    async with uow_factory() as uow:
        summary = await uow.tasks.summary(owner, today=today)
    assert (summary.total, summary.pending, summary.completed) == (5, 4, 1)
    assert (summary.overdue, summary.due_today) == (1, 1)
    assert dict(summary.by_priority) == {
        Priority.NONE: 1,
        Priority.LOW: 1,
        Priority.MEDIUM: 0,
        Priority.HIGH: 2,
    }
    async with uow_factory() as uow:
        empty = await uow.tasks.summary(str(uuid.uuid4()), today=today)
    assert (empty.total, empty.overdue, sum(empty.by_priority.values())) == (0, 0, 0)


async def test_tag_counts_use_the_oldest_tasks_spelling(
    uow_factory: UowFactory, owner: str
) -> None:
    await add(
        uow_factory,
        make(owner, tags=("work", "Home"), now=T0 + timedelta(seconds=2)),
        make(owner, tags=("Work",), now=T0),
        make(owner, tags=("home", "errands"), now=T0 + timedelta(seconds=1)),
        make(str(uuid.uuid4()), tags=("secret",)),
    )
    async with uow_factory() as uow:
        counts = [(t.name, t.count) for t in await uow.tasks.tag_counts(owner)]
    assert counts == [("errands", 1), ("home", 2), ("Work", 2)]


async def test_bulk_inserts_keep_tags_searchable(uow_factory: UowFactory, owner: str) -> None:
    tasks: list[Task] = [make(owner, f"t{i}", tags=("bulk", f"n{i % 3}")) for i in range(30)]
    async with uow_factory() as uow:
        await uow.tasks.add_many(tasks)
        await uow.commit()
    assert len(await ids(uow_factory, owner, TaskQuery(tags=("BULK", "n1"), limit=5))) == 10
