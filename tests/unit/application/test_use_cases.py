"""Every use case on the in-memory unit of work."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest

from adapters.memory import InMemoryTaskStore, InMemoryUnitOfWork
from application.errors import ConcurrentUpdate, InvalidQuery, TaskNotFound, VersionMismatch
from application.queries import (
    MAX_PAGE_SIZE,
    SortField,
    SortOrder,
    StatusFilter,
    TaskPosition,
    TaskQuery,
)
from application.use_cases import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    TaskPage,
    ToggleTaskCompletion,
    UpdateTask,
)
from domain.errors import InvalidTaskField
from domain.task import NewTask, Task, TaskChanges
from tests.fakes import T0, FixedClock, InterleavingUnitOfWork, SteppingClock, reference_order

ALICE = "alice"
BOB = "bob"


class App:
    """The use cases wired on one in-memory store, as the container would."""

    def __init__(self, store: InMemoryTaskStore | None = None) -> None:
        self.store = store or InMemoryTaskStore()
        self.clock = SteppingClock()
        self.create = CreateTask(self.uow(), self.clock)
        self.get = GetTask(self.uow())
        self.list = ListTasks(self.uow())
        self.update = UpdateTask(self.uow(), self.clock)
        self.toggle = ToggleTaskCompletion(self.uow(), self.clock)
        self.delete = DeleteTask(self.uow())

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    async def stored(self, owner: str, task_id: uuid.UUID) -> Task | None:
        async with self.uow() as uow:
            return await uow.tasks.get(owner, task_id)

    async def list_all(self, owner: str, query: TaskQuery) -> list[Task]:
        """Walk every page of ``query`` (its limit is the page size)."""
        seen: list[Task] = []
        after = None
        for _ in range(1000):
            page = await self.list.execute(owner, _with_after(query, after))
            assert len(page.items) <= query.limit
            seen.extend(page.items)
            if page.next_position is None:
                return seen
            assert page.items, "a next position needs a non-empty page"
            after = page.next_position
        raise AssertionError("pagination never ended")


def _with_after(query: TaskQuery, after: TaskPosition | None) -> TaskQuery:
    return replace(query, after=after)


@pytest.fixture
def app() -> App:
    return App()


# --- CreateTask -----------------------------------------------------------------------------


async def test_create_stores_the_task_for_its_owner(app: App) -> None:
    now = app.clock.peek()
    task = await app.create.execute(
        ALICE,
        NewTask(title="  Buy milk ", description="2 litres", due_date=date(2025, 1, 9)),
    )
    assert task.title == "Buy milk"
    assert task.user_id == ALICE
    assert task.created_at == task.updated_at == now
    assert task.version == 1
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.description, stored.due_date, stored.completed) == (
        "Buy milk",
        "2 litres",
        date(2025, 1, 9),
        False,
    )


async def test_create_may_start_completed(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Done already", completed=True))
    assert task.completed is True


async def test_create_twice_makes_two_tasks(app: App) -> None:
    a = await app.create.execute(ALICE, NewTask(title="Same"))
    b = await app.create.execute(ALICE, NewTask(title="Same"))
    assert a.id != b.id
    assert len(app.store.tasks) == 2


async def test_invalid_creation_stores_nothing(app: App) -> None:
    with pytest.raises(InvalidTaskField):
        await app.create.execute(ALICE, NewTask(title="   "))
    with pytest.raises(InvalidTaskField):
        await app.create.execute(ALICE, NewTask(title="ok", description="x" * 1001))
    with pytest.raises(InvalidTaskField):
        await app.create.execute("", NewTask(title="ok"))
    assert app.store.tasks == {}


async def test_create_uses_the_clock() -> None:
    clock = FixedClock()
    store = InMemoryTaskStore()
    task = await CreateTask(InMemoryUnitOfWork(store), clock).execute(ALICE, NewTask(title="t"))
    assert clock.calls == 1
    assert task.created_at == clock.moment


# --- GetTask --------------------------------------------------------------------------------


async def test_get_returns_the_owners_task(app: App) -> None:
    created = await app.create.execute(ALICE, NewTask(title="Mine"))
    got = await app.get.execute(ALICE, created.id)
    assert got == created
    assert got.title == "Mine"


async def test_get_unknown_id_is_not_found(app: App) -> None:
    missing = uuid.uuid4()
    with pytest.raises(TaskNotFound) as error:
        await app.get.execute(ALICE, missing)
    assert error.value.task_id == missing


async def test_another_owners_task_is_not_found(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Private"))
    with pytest.raises(TaskNotFound):
        await app.get.execute(BOB, task.id)


# --- UpdateTask ------------------------------------------------------------------------------


async def test_update_applies_a_partial_edit(app: App) -> None:
    task = await app.create.execute(
        ALICE, NewTask(title="Old", description="keep", due_date=date(2025, 1, 1))
    )
    edit_time = app.clock.peek()
    updated = await app.update.execute(ALICE, task.id, TaskChanges(title=" New ", due_date=None))
    assert (updated.title, updated.description, updated.due_date) == ("New", "keep", None)
    assert updated.version == 2
    assert updated.updated_at == edit_time
    assert updated.created_at == task.created_at
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.due_date, stored.version) == ("New", None, 2)


async def test_no_op_update_writes_nothing(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Same"))
    result = await app.update.execute(ALICE, task.id, TaskChanges(title="Same", description=None))
    assert result.version == 1
    assert result.updated_at == task.updated_at
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert stored.version == 1


async def test_update_with_the_current_version(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    updated = await app.update.execute(
        ALICE, task.id, TaskChanges(title="v2"), accepted_versions=frozenset({1})
    )
    assert updated.version == 2
    again = await app.update.execute(
        ALICE, task.id, TaskChanges(title="v3"), accepted_versions=frozenset({2})
    )
    assert again.title == "v3"
    assert again.version == 3


async def test_update_with_a_stale_version_is_a_mismatch(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    await app.update.execute(ALICE, task.id, TaskChanges(title="v2"))
    with pytest.raises(VersionMismatch) as error:
        await app.update.execute(
            ALICE, task.id, TaskChanges(title="lost"), accepted_versions=frozenset({1})
        )
    assert error.value.task_id == task.id
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.version) == ("v2", 2)


async def test_update_with_a_future_version_is_a_mismatch(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    with pytest.raises(VersionMismatch):
        await app.update.execute(
            ALICE, task.id, TaskChanges(title="x"), accepted_versions=frozenset({7})
        )


async def test_update_of_a_missing_task_is_not_found(app: App) -> None:
    with pytest.raises(TaskNotFound):
        await app.update.execute(ALICE, uuid.uuid4(), TaskChanges(title="x"))


async def test_update_of_another_owners_task_is_not_found_and_changes_nothing(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Alice's"))
    with pytest.raises(TaskNotFound):
        await app.update.execute(BOB, task.id, TaskChanges(title="Bob was here"))
    with pytest.raises(TaskNotFound):
        await app.update.execute(
            BOB, task.id, TaskChanges(title="x"), accepted_versions=frozenset({1})
        )
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.version) == ("Alice's", 1)


async def test_invalid_update_changes_nothing(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Fine", description="d"))
    with pytest.raises(InvalidTaskField):
        await app.update.execute(ALICE, task.id, TaskChanges(title="ok", description="\x00"))
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.description, stored.version) == ("Fine", "d", 1)


# --- concurrent writers ----------------------------------------------------------------------


class Gate:
    """Suspends the first ``pauses`` reads until the test releases them."""

    def __init__(self, pauses: int = 1) -> None:
        self.pauses = pauses
        self.reached = asyncio.Event()
        self.released = asyncio.Event()

    async def __call__(self) -> None:
        if self.pauses <= 0:
            return
        self.pauses -= 1
        self.reached.set()
        await self.released.wait()


async def concurrent_edit(store: InMemoryTaskStore, owner: str, task_id: uuid.UUID) -> None:
    """Another writer: its own unit of work on the same store, committed."""
    async with InMemoryUnitOfWork(store) as uow:
        task = await uow.tasks.get(owner, task_id)
        assert task is not None
        read_version = task.version
        task.apply(TaskChanges(description=f"concurrent {read_version}"), T0 + timedelta(days=1))
        assert await uow.tasks.update(task, expected_version=read_version)
        await uow.commit()


async def test_a_stale_unconditional_write_is_reapplied_on_the_fresh_task(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Original"))
    gate = Gate()
    update = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(update.execute(ALICE, task.id, TaskChanges(title="Mine")))
    await gate.reached.wait()  # the use case has read version 1 and is about to write
    await concurrent_edit(app.store, ALICE, task.id)
    gate.released.set()
    result = await running
    # Both edits survive: the concurrent one was not silently overwritten.
    assert (result.title, result.description, result.version) == ("Mine", "concurrent 1", 3)
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.description, stored.version) == ("Mine", "concurrent 1", 3)


async def test_a_stale_conditional_write_is_a_version_mismatch(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Original"))
    gate = Gate()
    update = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(
        update.execute(ALICE, task.id, TaskChanges(title="Mine"), accepted_versions=frozenset({1}))
    )
    await gate.reached.wait()
    await concurrent_edit(app.store, ALICE, task.id)
    gate.released.set()
    with pytest.raises(VersionMismatch):
        await running
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.title, stored.description, stored.version) == (
        "Original",
        "concurrent 1",
        2,
    )


async def test_concurrent_toggles_both_count(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Flip"))
    gate = Gate()
    toggle = ToggleTaskCompletion(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(toggle.execute(ALICE, task.id))
    await gate.reached.wait()
    await app.toggle.execute(ALICE, task.id)  # the other writer wins the race
    gate.released.set()
    result = await running
    assert result.completed is False  # toggled twice
    assert result.version == 3


async def test_an_edit_that_keeps_losing_gives_up_with_concurrent_update(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Busy"))

    async def someone_writes_every_time() -> None:
        await concurrent_edit(app.store, ALICE, task.id)

    update = UpdateTask(InterleavingUnitOfWork(app.store, someone_writes_every_time), app.clock)
    with pytest.raises(ConcurrentUpdate):
        await update.execute(ALICE, task.id, TaskChanges(title="Never lands"))
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert stored.title == "Busy"
    assert stored.version == 4  # three concurrent writes, none of ours


async def test_a_task_deleted_during_an_edit_is_not_found(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Going away"))
    gate = Gate()
    update = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(update.execute(ALICE, task.id, TaskChanges(title="Late")))
    await gate.reached.wait()
    await app.delete.execute(ALICE, task.id)
    gate.released.set()
    with pytest.raises(TaskNotFound):
        await running
    assert await app.stored(ALICE, task.id) is None


# --- ToggleTaskCompletion --------------------------------------------------------------------


async def test_toggle_flips_completion_and_bumps_version(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Toggle me"))
    toggled = await app.toggle.execute(ALICE, task.id)
    assert toggled.completed is True
    assert toggled.version == 2
    assert toggled.updated_at > task.updated_at
    back = await app.toggle.execute(ALICE, task.id, accepted_versions=frozenset({2}))
    assert back.completed is False
    assert back.version == 3
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.completed, stored.version) == (False, 3)


async def test_toggle_with_a_stale_version_is_a_mismatch(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="t"))
    await app.toggle.execute(ALICE, task.id)
    with pytest.raises(VersionMismatch):
        await app.toggle.execute(ALICE, task.id, accepted_versions=frozenset({1}))
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.completed, stored.version) == (True, 2)


async def test_toggle_missing_or_another_owners_task_is_not_found(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="t"))
    with pytest.raises(TaskNotFound):
        await app.toggle.execute(ALICE, uuid.uuid4())
    with pytest.raises(TaskNotFound):
        await app.toggle.execute(BOB, task.id)
    stored = await app.stored(ALICE, task.id)
    assert stored is not None
    assert (stored.completed, stored.version) == (False, 1)


# --- DeleteTask ---------------------------------------------------------------------------------


async def test_delete_removes_the_task(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Bye"))
    await app.delete.execute(ALICE, task.id)
    assert await app.stored(ALICE, task.id) is None
    with pytest.raises(TaskNotFound):
        await app.get.execute(ALICE, task.id)
    with pytest.raises(TaskNotFound):
        await app.delete.execute(ALICE, task.id)


async def test_delete_of_another_owners_task_is_not_found_and_keeps_it(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="Keep"))
    with pytest.raises(TaskNotFound):
        await app.delete.execute(BOB, task.id)
    with pytest.raises(TaskNotFound):
        await app.delete.execute(BOB, task.id, accepted_versions=frozenset({1}))
    assert await app.stored(ALICE, task.id) is not None


async def test_delete_with_versions(app: App) -> None:
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    await app.update.execute(ALICE, task.id, TaskChanges(title="v2"))
    with pytest.raises(VersionMismatch) as error:
        await app.delete.execute(ALICE, task.id, accepted_versions=frozenset({1}))
    assert error.value.task_id == task.id
    assert await app.stored(ALICE, task.id) is not None
    await app.delete.execute(ALICE, task.id, accepted_versions=frozenset({2}))
    assert await app.stored(ALICE, task.id) is None
    with pytest.raises(TaskNotFound):
        await app.delete.execute(ALICE, task.id, accepted_versions=frozenset({2}))


async def test_writes_accept_any_of_several_versions_and_refuse_the_rest(app: App) -> None:
    """If-Match may list several tags: the write lands if the task is at one of them."""
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    await app.update.execute(ALICE, task.id, TaskChanges(title="v2"))
    with pytest.raises(VersionMismatch):
        await app.update.execute(
            ALICE, task.id, TaskChanges(title="x"), accepted_versions=frozenset({1, 3})
        )
    with pytest.raises(VersionMismatch):
        await app.toggle.execute(ALICE, task.id, accepted_versions=frozenset({1, 3}))
    with pytest.raises(VersionMismatch):
        await app.delete.execute(ALICE, task.id, accepted_versions=frozenset({1, 3}))
    assert (await app.stored(ALICE, task.id)).version == 2  # type: ignore[union-attr]

    updated = await app.update.execute(
        ALICE, task.id, TaskChanges(title="v3"), accepted_versions=frozenset({1, 2})
    )
    assert (updated.title, updated.version) == ("v3", 3)
    toggled = await app.toggle.execute(ALICE, task.id, accepted_versions=frozenset({3, 9}))
    assert (toggled.completed, toggled.version) == (True, 4)
    await app.delete.execute(ALICE, task.id, accepted_versions=frozenset({4, 5}))
    assert await app.stored(ALICE, task.id) is None


async def test_no_acceptable_version_is_a_mismatch_but_a_missing_task_is_not_found(
    app: App,
) -> None:
    """An If-Match of weak or foreign tags accepts no version: 412 for an existing task,
    404 for a missing one (RFC 9110 §13.2.1), without writing anything."""
    task = await app.create.execute(ALICE, NewTask(title="v1"))
    none: frozenset[int] = frozenset()
    with pytest.raises(VersionMismatch):
        await app.update.execute(ALICE, task.id, TaskChanges(title="x"), accepted_versions=none)
    with pytest.raises(VersionMismatch):
        await app.toggle.execute(ALICE, task.id, accepted_versions=none)
    with pytest.raises(VersionMismatch):
        await app.delete.execute(ALICE, task.id, accepted_versions=none)
    assert (await app.stored(ALICE, task.id)).version == 1  # type: ignore[union-attr]
    for missing in (uuid.uuid4(), task.id):
        if missing == task.id:
            await app.delete.execute(ALICE, task.id)
        with pytest.raises(TaskNotFound):
            await app.update.execute(ALICE, missing, TaskChanges(title="x"), accepted_versions=none)
        with pytest.raises(TaskNotFound):
            await app.toggle.execute(ALICE, missing, accepted_versions=none)
        with pytest.raises(TaskNotFound):
            await app.delete.execute(ALICE, missing, accepted_versions=none)


async def test_delete_missing_is_not_found(app: App) -> None:
    with pytest.raises(TaskNotFound):
        await app.delete.execute(ALICE, uuid.uuid4())


# --- ListTasks ----------------------------------------------------------------------------------


async def test_list_limit_over_the_maximum_is_an_invalid_query(app: App) -> None:
    with pytest.raises(InvalidQuery) as error:
        await app.list.execute(ALICE, TaskQuery(limit=MAX_PAGE_SIZE + 1))
    assert error.value.field == "limit"


async def test_list_limit_at_the_maximum_is_fine(app: App) -> None:
    for i in range(MAX_PAGE_SIZE + 1):
        await app.create.execute(ALICE, NewTask(title=f"t{i}"))
    page = await app.list.execute(ALICE, TaskQuery(limit=MAX_PAGE_SIZE))
    assert len(page.items) == MAX_PAGE_SIZE
    assert page.next_position is not None
    rest = await app.list.execute(ALICE, TaskQuery(limit=MAX_PAGE_SIZE, after=page.next_position))
    assert len(rest.items) == 1
    assert rest.next_position is None


@pytest.mark.parametrize("limit", [0, -1])
def test_limits_below_one_are_invalid(limit: int) -> None:
    with pytest.raises(InvalidQuery):
        TaskQuery(limit=limit)


async def test_list_only_shows_the_owners_tasks(app: App) -> None:
    mine = {(await app.create.execute(ALICE, NewTask(title=f"a{i}"))).id for i in range(3)}
    await app.create.execute(BOB, NewTask(title="b"))
    page = await app.list.execute(ALICE, TaskQuery())
    assert {t.id for t in page.items} == mine
    assert all(t.user_id == ALICE for t in page.items)
    assert (await app.list.execute("carol", TaskQuery())) == TaskPage(items=[], next_position=None)


async def test_default_order_is_newest_first(app: App) -> None:
    created = [await app.create.execute(ALICE, NewTask(title=f"t{i}")) for i in range(4)]
    page = await app.list.execute(ALICE, TaskQuery())
    assert [t.id for t in page.items] == [t.id for t in reversed(created)]
    assert page.next_position is None


async def test_exact_page_boundary_has_no_next_page(app: App) -> None:
    for i in range(4):
        await app.create.execute(ALICE, NewTask(title=f"t{i}"))
    page = await app.list.execute(ALICE, TaskQuery(limit=4))
    assert len(page.items) == 4
    assert page.next_position is None
    page = await app.list.execute(ALICE, TaskQuery(limit=3))
    assert page.next_position is not None
    assert page.next_position.task_id == page.items[-1].id


async def seed_varied(app: App, owner: str = ALICE) -> list[Task]:
    """Tasks with tied timestamps, titles differing only in case, null and tied due dates."""
    specs = [
        ("banana", date(2025, 3, 1), False),
        ("Apple", None, True),
        ("apple", date(2025, 3, 1), False),
        ("APPLE", date(2025, 1, 1), True),
        ("cherry", None, False),
        ("École", date(2025, 2, 1), False),
        ("zebra", date(2025, 1, 1), True),
        ("Ärger", None, False),
        ("straße", date(2025, 3, 1), True),
        ("10 things", date(2024, 12, 31), False),
        ("_under", None, True),
    ]
    app.clock.step = timedelta(0)  # every task created at the same instant: ties everywhere
    tasks = [
        await app.create.execute(owner, NewTask(title=t, due_date=d, completed=c))
        for t, d, c in specs
    ]
    app.clock.step = timedelta(seconds=1)
    # Touch a few so updated_at differs from created_at for some, ties for others.
    for task in tasks[::3]:
        await app.update.execute(owner, task.id, TaskChanges(description="touched"))
    return tasks


ALL_SORTS = [(sort, order) for sort in SortField for order in (None, *SortOrder)]


@pytest.mark.parametrize(("sort", "order"), ALL_SORTS)
@pytest.mark.parametrize("page_size", [1, 2, 3, 200])
async def test_pages_walk_every_task_once_in_order(
    app: App, sort: SortField, order: SortOrder | None, page_size: int
) -> None:
    tasks = await seed_varied(app)
    fresh = {t.id: await app.stored(ALICE, t.id) for t in tasks}
    query = TaskQuery(sort=sort, order=order, limit=page_size)
    walked = await app.list_all(ALICE, query)
    ids = [t.id for t in walked]
    assert len(ids) == len(set(ids)) == len(tasks)
    assert ids == reference_order([t for t in fresh.values() if t is not None], query)


async def test_default_directions(app: App) -> None:
    assert TaskQuery(sort=SortField.CREATED).direction is SortOrder.DESC
    assert TaskQuery(sort=SortField.UPDATED).direction is SortOrder.DESC
    assert TaskQuery(sort=SortField.TITLE).direction is SortOrder.ASC
    assert TaskQuery(sort=SortField.DUE_DATE).direction is SortOrder.ASC


@pytest.mark.parametrize("order", list(SortOrder))
async def test_due_dates_sort_nulls_last_in_both_orders(app: App, order: SortOrder) -> None:
    await seed_varied(app)
    walked = await app.list_all(ALICE, TaskQuery(sort=SortField.DUE_DATE, order=order, limit=2))
    dues = [t.due_date for t in walked]
    first_null = dues.index(None)
    assert all(d is None for d in dues[first_null:])
    present = [d for d in dues if d is not None]
    assert present == sorted(present, reverse=order is SortOrder.DESC)


async def test_title_sort_is_case_insensitive(app: App) -> None:
    for title in ["b", "C", "a", "B", "A"]:
        await app.create.execute(ALICE, NewTask(title=title))
    page = await app.list.execute(ALICE, TaskQuery(sort=SortField.TITLE))
    assert [t.title.casefold() for t in page.items] == ["a", "a", "b", "b", "c"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (StatusFilter.ALL, {"open", "done", "open too"}),
        (StatusFilter.PENDING, {"open", "open too"}),
        (StatusFilter.COMPLETED, {"done"}),
    ],
)
async def test_status_filter(app: App, status: StatusFilter, expected: set[str]) -> None:
    await app.create.execute(ALICE, NewTask(title="open"))
    done = await app.create.execute(ALICE, NewTask(title="done"))
    await app.toggle.execute(ALICE, done.id)
    await app.create.execute(ALICE, NewTask(title="open too"))
    await app.create.execute(BOB, NewTask(title="bob's", completed=True))
    walked = await app.list_all(ALICE, TaskQuery(status=status, limit=1))
    assert {t.title for t in walked} == expected


SEARCH_TITLES = [
    "Buy MILK",
    "milkshake recipe",
    "100% done",
    "1000 done",
    "snake_case",
    "snakeXcase",
    "École primaire",
    "back\\slash",
]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("milk", {"Buy MILK", "milkshake recipe"}),
        ("MILK", {"Buy MILK", "milkshake recipe"}),
        ("%", {"100% done"}),
        ("0%", {"100% done"}),
        ("_", {"snake_case"}),
        ("e_c", {"snake_case"}),
        ("école", {"École primaire"}),
        ("ÉCOLE", {"École primaire"}),
        ("\\", {"back\\slash"}),
        ("in the description", {"described"}),
        ("nothing like this", set()),
        ("", {*SEARCH_TITLES, "described"}),
        ("   ", {*SEARCH_TITLES, "described"}),
    ],
)
async def test_search(app: App, search: str, expected: set[str]) -> None:
    for title in SEARCH_TITLES:
        await app.create.execute(ALICE, NewTask(title=title))
    await app.create.execute(
        ALICE, NewTask(title="described", description="Found IN THE description")
    )
    await app.create.execute(BOB, NewTask(title="Bob's milk", description="milk %_"))
    walked = await app.list_all(ALICE, TaskQuery(search=search, limit=2))
    assert {t.title for t in walked} == expected


async def test_search_combines_with_status_and_sort(app: App) -> None:
    a = await app.create.execute(ALICE, NewTask(title="report A", completed=True))
    await app.create.execute(ALICE, NewTask(title="report B"))
    c = await app.create.execute(ALICE, NewTask(title="Report C", completed=True))
    await app.create.execute(ALICE, NewTask(title="other", completed=True))
    query = TaskQuery(search="REPORT", status=StatusFilter.COMPLETED, sort=SortField.TITLE, limit=1)
    walked = await app.list_all(ALICE, query)
    assert [t.id for t in walked] == [a.id, c.id]


def test_search_limits() -> None:
    TaskQuery(search="x" * 200)
    with pytest.raises(InvalidQuery):
        TaskQuery(search="x" * 201)
    with pytest.raises(InvalidQuery):
        TaskQuery(search="nul\x00")


async def test_tasks_created_between_pages_are_neither_duplicated_nor_skipped_wrongly(
    app: App,
) -> None:
    for i in range(6):
        await app.create.execute(ALICE, NewTask(title=f"t{i}"))
    query = TaskQuery(sort=SortField.CREATED, order=SortOrder.ASC, limit=2)
    first = await app.list.execute(ALICE, query)
    late = await app.create.execute(ALICE, NewTask(title="late"))  # newest: belongs at the end
    seen = [t.id for t in first.items]
    after = first.next_position
    while after is not None:
        page = await app.list.execute(ALICE, _with_after(query, after))
        seen.extend(t.id for t in page.items)
        after = page.next_position
    assert len(seen) == len(set(seen)) == 7
    assert seen[-1] == late.id
