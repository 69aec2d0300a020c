"""One contract for every task repository: in-memory, SQLite and PostgreSQL.

Each test gets a fresh random owner, so the tests share a module database without seeing
each other's tasks.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from application.errors import InvalidQuery
from application.pagination import cursor_payload, filters_digest, read_cursor_payload
from application.queries import (
    SortField,
    SortOrder,
    StatusFilter,
    TaskPosition,
    TaskQuery,
    position_of,
)
from domain.task import Priority, Task, TaskChanges
from tests.fakes import T0, fields_of, reference_order
from tests.integration.conftest import UowFactory


def make(owner: str, title: str = "Task", **fields: object) -> Task:
    fields.setdefault("now", T0)
    return Task.create(user_id=owner, title=title, **fields)  # type: ignore[arg-type]


async def add(uow_factory: UowFactory, *tasks: Task) -> None:
    async with uow_factory() as uow:
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()


async def get(uow_factory: UowFactory, owner: str, task_id: uuid.UUID) -> Task | None:
    async with uow_factory() as uow:
        return await uow.tasks.get(owner, task_id)


async def list_ids(uow_factory: UowFactory, owner: str, query: TaskQuery) -> list[uuid.UUID]:
    async with uow_factory() as uow:
        return [t.id for t in await uow.tasks.list(owner, query)]


async def walk(
    uow_factory: UowFactory, owner: str, query: TaskQuery, *, via_cursor: bool = True
) -> list[Task]:
    """Every page of ``query``; positions go through the opaque cursor like a client's."""
    seen: list[Task] = []
    after: TaskPosition | None = None
    for _ in range(1000):
        async with uow_factory() as uow:
            page = list(await uow.tasks.list(owner, replace(query, after=after)))
        assert len(page) <= query.limit
        seen.extend(page)
        if len(page) < query.limit:
            return seen
        after = position_of(page[-1], query.sort)
        if via_cursor:
            after = read_cursor_payload(cursor_payload(query, after), query)
    raise AssertionError("pagination never ended")


# --- round trip ------------------------------------------------------------------------------


async def test_add_get_round_trips_every_field(uow_factory: UowFactory, owner: str) -> None:
    task = make(
        owner,
        "Write the report",
        description="Line 1\n\tLine 2",
        completed=True,
        due_date=date(2025, 2, 28),
        now=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    task.apply(TaskChanges(title="Write the final report"), T0 + timedelta(microseconds=1))
    await add(uow_factory, task)
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert stored is not task
    assert fields_of(stored) == fields_of(task)
    assert stored.version == 2
    for moment in (stored.created_at, stored.updated_at):
        assert moment.utcoffset() == timedelta(0)
    assert stored.created_at.microsecond == 678901
    assert stored.updated_at.microsecond == T0.microsecond + 1


async def test_timestamps_in_other_offsets_come_back_as_the_same_instant(
    uow_factory: UowFactory, owner: str
) -> None:
    moment = datetime(2025, 6, 30, 23, 30, 0, 5, tzinfo=timezone(timedelta(hours=-5)))
    task = make(owner, now=moment)
    await add(uow_factory, task)
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert stored.created_at == moment
    assert stored.created_at.utcoffset() is not None


async def test_none_fields_round_trip(uow_factory: UowFactory, owner: str) -> None:
    task = make(owner, "Nothing else", description=None, due_date=None)
    await add(uow_factory, task)
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert stored.description is None
    assert stored.due_date is None
    assert stored.completed is False


@pytest.mark.parametrize(
    "title",
    [
        "🎉 Party 🎂",
        "Ünïcödé façade naïve",
        "日本語のタスク",
        "עברית",
        "x" * 200,
        "🎉" * 200,
        "quote ' \" ; -- DROP TABLE tasks",
        "%_\\ wildcard characters",
    ],
)
async def test_unicode_and_odd_titles_round_trip(
    uow_factory: UowFactory, owner: str, title: str
) -> None:
    task = make(owner, title, description=title * 5 if len(title) < 100 else "🎉" * 1000)
    await add(uow_factory, task)
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert (stored.title, stored.description) == (task.title, task.description)


async def test_get_unknown_is_none(uow_factory: UowFactory, owner: str) -> None:
    assert await get(uow_factory, owner, uuid.uuid4()) is None


async def test_writes_in_one_unit_of_work_are_visible_to_it(
    uow_factory: UowFactory, owner: str
) -> None:
    task = make(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        seen = await uow.tasks.get(owner, task.id)
        assert seen is not None
        assert [t.id for t in await uow.tasks.list(owner, TaskQuery())] == [task.id]
        await uow.commit()
    assert await get(uow_factory, owner, task.id) is not None


# --- owner scoping ----------------------------------------------------------------------------


async def test_another_owner_sees_nothing(uow_factory: UowFactory, owner: str) -> None:
    intruder = str(uuid.uuid4())
    task = make(owner, "Private")
    await add(uow_factory, task)
    async with uow_factory() as uow:
        assert await uow.tasks.get(intruder, task.id) is None
        assert list(await uow.tasks.list(intruder, TaskQuery())) == []
        assert await uow.tasks.remove(intruder, task.id) is False
        assert await uow.tasks.remove(intruder, task.id, expected_version=1) is False
        await uow.commit()
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert fields_of(stored) == fields_of(task)


async def test_update_cannot_move_or_touch_another_owners_task(
    uow_factory: UowFactory, owner: str
) -> None:
    intruder = str(uuid.uuid4())
    task = make(owner, "Mine")
    await add(uow_factory, task)
    # The same id, presented as someone else's task: no row of that owner has it.
    forged = replace(task, user_id=intruder, title="Hijacked")
    forged.version = 2
    async with uow_factory() as uow:
        assert await uow.tasks.update(forged, expected_version=1) is False
        await uow.commit()
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert (stored.user_id, stored.title, stored.version) == (owner, "Mine", 1)
    assert await get(uow_factory, intruder, task.id) is None


async def test_lists_are_per_owner(uow_factory: UowFactory, owner: str) -> None:
    other = str(uuid.uuid4())
    mine = [make(owner, f"m{i}") for i in range(3)]
    theirs = [make(other, f"t{i}") for i in range(2)]
    await add(uow_factory, *mine, *theirs)
    for who, expected in ((owner, mine), (other, theirs)):
        for sort in SortField:
            tasks = await walk(uow_factory, who, TaskQuery(sort=sort, limit=2))
            assert {t.id for t in tasks} == {t.id for t in expected}
            assert {t.user_id for t in tasks} == {who}


# --- update / remove ----------------------------------------------------------------------------


async def test_update_at_the_expected_version(uow_factory: UowFactory, owner: str) -> None:
    task = make(owner, "v1", description="d", due_date=date(2025, 1, 1))
    await add(uow_factory, task)
    later = T0 + timedelta(minutes=3)
    task.apply(TaskChanges(title="v2", description=None, completed=True, due_date=None), later)
    async with uow_factory() as uow:
        assert await uow.tasks.update(task, expected_version=1) is True
        await uow.commit()
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert fields_of(stored) == fields_of(task)
    assert (stored.version, stored.updated_at, stored.created_at) == (2, later, T0)


async def test_update_at_the_wrong_version_leaves_the_row_untouched(
    uow_factory: UowFactory, owner: str
) -> None:
    task = make(owner, "v1")
    await add(uow_factory, task)
    before = fields_of(task)
    edited = replace(task)
    edited.apply(TaskChanges(title="changed"), T0 + timedelta(1))
    for wrong in (0, 2, 3):
        async with uow_factory() as uow:
            assert await uow.tasks.update(edited, expected_version=wrong) is False
            await uow.commit()
    stored = await get(uow_factory, owner, task.id)
    assert stored is not None
    assert fields_of(stored) == before


async def test_update_of_a_missing_task_is_false(uow_factory: UowFactory, owner: str) -> None:
    async with uow_factory() as uow:
        assert await uow.tasks.update(make(owner), expected_version=1) is False


async def test_remove(uow_factory: UowFactory, owner: str) -> None:
    task = make(owner)
    await add(uow_factory, task)
    async with uow_factory() as uow:
        assert await uow.tasks.remove(owner, task.id) is True
        assert await uow.tasks.get(owner, task.id) is None
        await uow.commit()
    assert await get(uow_factory, owner, task.id) is None
    async with uow_factory() as uow:
        assert await uow.tasks.remove(owner, task.id) is False


async def test_remove_with_expected_version(uow_factory: UowFactory, owner: str) -> None:
    task = make(owner)
    await add(uow_factory, task)
    async with uow_factory() as uow:
        assert await uow.tasks.remove(owner, task.id, expected_version=2) is False
        await uow.commit()
    assert await get(uow_factory, owner, task.id) is not None
    async with uow_factory() as uow:
        assert await uow.tasks.remove(owner, task.id, expected_version=1) is True
        await uow.commit()
    assert await get(uow_factory, owner, task.id) is None


# --- transactions -------------------------------------------------------------------------------


async def test_leaving_the_block_without_commit_rolls_back(
    uow_factory: UowFactory, owner: str
) -> None:
    kept = make(owner, "kept")
    await add(uow_factory, kept)
    edited = replace(kept)
    edited.apply(TaskChanges(title="edited"), T0 + timedelta(1))
    dropped = make(owner, "never committed")
    async with uow_factory() as uow:
        await uow.tasks.add(dropped)
        assert await uow.tasks.update(edited, expected_version=1)
    async with uow_factory() as uow:
        assert await uow.tasks.remove(owner, kept.id)
    assert await get(uow_factory, owner, dropped.id) is None
    stored = await get(uow_factory, owner, kept.id)
    assert stored is not None
    assert fields_of(stored) == fields_of(kept)


async def test_an_error_in_the_block_rolls_back(uow_factory: UowFactory, owner: str) -> None:
    task = make(owner)

    async def add_then_fail() -> None:
        async with uow_factory() as uow:
            await uow.tasks.add(task)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    assert await get(uow_factory, owner, task.id) is None


async def test_a_unit_of_work_can_be_used_again(uow_factory: UowFactory, owner: str) -> None:
    uow = uow_factory()
    first, second = make(owner, "first"), make(owner, "second")
    async with uow:
        await uow.tasks.add(first)
    async with uow:
        await uow.tasks.add(second)
        await uow.commit()
    assert await get(uow_factory, owner, first.id) is None
    assert await get(uow_factory, owner, second.id) is not None


# --- filters and search -------------------------------------------------------------------------


async def test_status_filter(uow_factory: UowFactory, owner: str) -> None:
    done = [make(owner, f"done {i}", completed=True) for i in range(2)]
    open_ = [make(owner, f"open {i}") for i in range(3)]
    await add(uow_factory, *done, *open_)
    expected = {
        StatusFilter.ALL: {t.id for t in done + open_},
        StatusFilter.PENDING: {t.id for t in open_},
        StatusFilter.COMPLETED: {t.id for t in done},
    }
    for status, ids in expected.items():
        for sort in SortField:
            tasks = await walk(uow_factory, owner, TaskQuery(status=status, sort=sort, limit=2))
            assert {t.id for t in tasks} == ids


SEARCH_DATA = [
    ("école maternelle", None),
    ("Buy MILK", None),
    ("milkshake", None),
    ("100% organic", None),
    ("1000 things", None),
    ("snake_case", None),
    ("snakeXcase", None),
    ("path/to\\file", None),
    ("Straße", None),
    ("plain", "Has the Needle in its DESCRIPTION"),
    ("other", "line one\nline two 50%"),
]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ÉCOLE", {"école maternelle"}),
        ("École", {"école maternelle"}),
        ("milk", {"Buy MILK", "milkshake"}),
        ("MILK", {"Buy MILK", "milkshake"}),
        ("%", {"100% organic", "other"}),
        ("0%", {"100% organic", "other"}),
        ("_", {"snake_case"}),
        ("e_c", {"snake_case"}),
        ("/", {"path/to\\file"}),
        ("\\", {"path/to\\file"}),
        ("o\\f", {"path/to\\file"}),
        ("STRASSE", {"Straße"}),
        ("needle in", {"plain"}),
        ("two 50", {"other"}),
        ("e\nl", {"other"}),
        ("absent", set()),
        ("  ", {title for title, _ in SEARCH_DATA}),
    ],
)
async def test_search(uow_factory: UowFactory, owner: str, search: str, expected: set[str]) -> None:
    await add(uow_factory, *(make(owner, t, description=d) for t, d in SEARCH_DATA))
    await add(uow_factory, make(str(uuid.uuid4()), "someone else's milk %_ école"))
    for sort in (SortField.CREATED, SortField.TITLE):
        tasks = await walk(uow_factory, owner, TaskQuery(search=search, sort=sort, limit=3))
        assert {t.title for t in tasks} == expected


@pytest.mark.parametrize("search", ["\ud800", "a\udfffb", "bell\x07", "tab\there", "🎉"])
async def test_any_accepted_search_runs_on_every_backend(
    uow_factory: UowFactory, owner: str, search: str
) -> None:
    await add(uow_factory, make(owner, "🎉 tab"))
    try:
        query = TaskQuery(search=search)
    except InvalidQuery:
        return  # refused up front is fine; failing in the driver is not
    assert len(await list_ids(uow_factory, owner, query)) <= 1


# --- ordering ------------------------------------------------------------------------------------


def varied_tasks(owner: str, seed: int = 7) -> list[Task]:
    """Adversarial data: tied timestamps, case-only title differences, null and tied dates,
    tied priorities, tags differing in case, reminders."""
    rng = random.Random(seed)
    titles = [
        "apple", "Apple", "APPLE", "banana", "Banana", "école", "École", "zebra", "Ärger",
        "straße", "STRASSE", "10 items", "9 items", "_under", "%percent", "émile", "Zulu",
        "日本", "🎉 party", "a", "A", "b",
    ]  # fmt: skip
    moments = [T0 + timedelta(microseconds=i) for i in (0, 0, 1, 1, 1, 5, 1_000_000)]
    dues = [None, None, date(2025, 1, 1), date(2025, 1, 1), date(2024, 12, 31), date(2026, 6, 1)]
    tasks = []
    for title in titles:
        created = rng.choice(moments)
        task = make(
            owner,
            title,
            now=created,
            due_date=rng.choice(dues),
            completed=rng.random() < 0.4,
            priority=rng.choice(list(Priority)),
            tags=rng.choice(TAG_SETS),
            remind_at=rng.choice([None, T0, T0 + timedelta(hours=1)]),
        )
        if rng.random() < 0.5:
            task.apply(
                TaskChanges(description="edited"),
                created + rng.choice([timedelta(0), timedelta(seconds=1)]),
            )
        tasks.append(task)
    return tasks


TAG_SETS = [(), ("home",), ("Home", "work"), ("work",), ("errands", "WORK", "home")]
ALL_SORTS = [(sort, order) for sort in SortField for order in SortOrder]


@pytest.mark.parametrize(("sort", "order"), ALL_SORTS)
async def test_order_is_total_and_identical_on_every_backend(
    uow_factory: UowFactory, owner: str, sort: SortField, order: SortOrder
) -> None:
    tasks = varied_tasks(owner)
    await add(uow_factory, *tasks)
    query = TaskQuery(sort=sort, order=order, limit=200)
    assert await list_ids(uow_factory, owner, query) == reference_order(tasks, query)


@pytest.mark.parametrize(("sort", "order"), ALL_SORTS)
@pytest.mark.parametrize("page_size", [1, 4])
async def test_keyset_pages_walk_exactly_the_full_ordered_list(
    uow_factory: UowFactory, owner: str, sort: SortField, order: SortOrder, page_size: int
) -> None:
    tasks = varied_tasks(owner, seed=page_size)
    await add(uow_factory, *tasks)
    query = TaskQuery(sort=sort, order=order, limit=page_size)
    walked = [t.id for t in await walk(uow_factory, owner, query)]
    assert walked == reference_order(tasks, replace(query, limit=200))


@pytest.mark.parametrize(("sort", "order"), ALL_SORTS)
async def test_pages_with_filters_and_search(
    uow_factory: UowFactory, owner: str, sort: SortField, order: SortOrder
) -> None:
    tasks = varied_tasks(owner, seed=3)
    await add(uow_factory, *tasks)
    query = TaskQuery(sort=sort, order=order, limit=2, status=StatusFilter.PENDING, search="E")
    walked = [t.id for t in await walk(uow_factory, owner, query)]
    matching = [
        t
        for t in tasks
        if not t.completed and ("e" in t.title.casefold() or "e" in (t.description or ""))
    ]
    assert walked == reference_order(matching, query)


@pytest.mark.parametrize(("sort", "order"), ALL_SORTS)
async def test_pages_stay_correct_when_tasks_are_added_between_fetches(
    uow_factory: UowFactory, owner: str, sort: SortField, order: SortOrder
) -> None:
    rng = random.Random(f"{sort}-{order}")
    tasks = varied_tasks(owner, seed=11)
    await add(uow_factory, *tasks)
    query = TaskQuery(sort=sort, order=order, limit=3)
    seen: list[uuid.UUID] = []
    seen_positions: list[TaskPosition] = []
    after: TaskPosition | None = None
    added: list[Task] = []
    while True:
        async with uow_factory() as uow:
            page = list(await uow.tasks.list(owner, replace(query, after=after)))
        for task in page:
            assert task.id not in seen, "a task came back on a later page"
        seen.extend(t.id for t in page)
        if len(page) < query.limit:
            break
        after = read_cursor_payload(cursor_payload(query, position_of(page[-1], sort)), query)
        seen_positions.append(after)
        # Someone adds a task between two page fetches: sometimes before, sometimes after
        # the current position in this order.
        newcomer = make(
            owner,
            rng.choice(["aardvark", "Mango", "zzz", "apple"]),
            now=T0 + timedelta(microseconds=rng.choice([0, 1, 3, 2_000_000])),
            due_date=rng.choice([None, date(2025, 1, 1), date(2030, 1, 1)]),
        )
        added.append(newcomer)
        await add(uow_factory, newcomer)
    assert len(seen) == len(set(seen))
    everything = tasks + added
    full_order = reference_order(everything, query)
    # What was seen is in the documented order, and nothing before it was skipped: every
    # original task was seen, and a newcomer is seen exactly when it sorts after the
    # position at which it was added.
    assert seen == [i for i in full_order if i in set(seen)]
    assert {t.id for t in tasks} <= set(seen)
    rank = {task_id: n for n, task_id in enumerate(full_order)}
    for n, newcomer in enumerate(added):
        position_rank = rank[seen_positions[n].task_id]
        assert (newcomer.id in seen) == (rank[newcomer.id] > position_rank)


async def test_due_date_nulls_come_last_in_both_orders(uow_factory: UowFactory, owner: str) -> None:
    tasks = [
        make(owner, "none 1"),
        make(owner, "early", due_date=date(2020, 1, 1)),
        make(owner, "none 2"),
        make(owner, "late", due_date=date(2030, 1, 1)),
    ]
    await add(uow_factory, *tasks)
    for order in SortOrder:
        walked = await walk(
            uow_factory, owner, TaskQuery(sort=SortField.DUE_DATE, order=order, limit=1)
        )
        dues = [t.due_date for t in walked]
        assert dues[2:] == [None, None]
        assert dues[:2] == sorted(dues[:2], reverse=order is SortOrder.DESC)  # type: ignore[type-var]


async def test_title_sort_ignores_case(uow_factory: UowFactory, owner: str) -> None:
    await add(uow_factory, *(make(owner, t) for t in ["b", "C", "a", "B", "A", "c"]))
    async with uow_factory() as uow:
        tasks = await uow.tasks.list(owner, TaskQuery(sort=SortField.TITLE))
    assert [t.title.casefold() for t in tasks] == ["a", "a", "b", "b", "c", "c"]


async def test_limit_is_honoured(uow_factory: UowFactory, owner: str) -> None:
    await add(uow_factory, *(make(owner, f"t{i}") for i in range(5)))
    for limit in (1, 2, 5, 6):
        assert len(await list_ids(uow_factory, owner, TaskQuery(limit=limit))) == min(limit, 5)


@pytest.mark.parametrize(
    ("sort", "order", "value"),
    [
        (SortField.CREATED, SortOrder.DESC, "0001-01-01T00:00:00+00:00"),
        (SortField.CREATED, SortOrder.ASC, "0001-01-01T00:00:00+00:00"),
        (SortField.UPDATED, SortOrder.DESC, "9999-12-31T23:59:59.999999+00:00"),
        (SortField.UPDATED, SortOrder.ASC, "2025-01-02T08:00:00+05:00"),
        (SortField.CREATED, SortOrder.DESC, "0001-01-01T00:00:00+05:00"),
        (SortField.CREATED, SortOrder.ASC, "9999-12-31T23:59:59-05:00"),
        (SortField.TITLE, SortOrder.ASC, "nul\u0000byte"),
        (SortField.TITLE, SortOrder.DESC, "lone \ud800"),
        (SortField.TITLE, SortOrder.ASC, "🎉" * 200),
        (SortField.DUE_DATE, SortOrder.ASC, "0001-01-01"),
        (SortField.DUE_DATE, SortOrder.DESC, "9999-12-31"),
        (SortField.DUE_DATE, SortOrder.DESC, None),
    ],
)
async def test_any_cursor_that_decodes_can_be_listed_after(
    uow_factory: UowFactory,
    owner: str,
    sort: SortField,
    order: SortOrder,
    value: str | None,
) -> None:
    """A cursor's payload is either refused as an invalid query or usable on every store."""
    await add(uow_factory, make(owner, "x", due_date=date(2025, 1, 1)))
    query = TaskQuery(sort=sort, order=order)
    payload = {
        "s": sort.value,
        "o": order.value,
        "f": filters_digest(query),
        "v": value,
        "i": str(uuid.uuid4()),
    }
    try:
        position = read_cursor_payload(json.dumps(payload).encode(), query)
    except InvalidQuery:
        return
    assert len(await list_ids(uow_factory, owner, replace(query, after=position))) <= 1
