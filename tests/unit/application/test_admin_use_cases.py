"""The admin use cases (export, import, purge, stats, seed) on the in-memory unit of work."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from adapters.memory import InMemoryTaskStore, InMemoryUnitOfWork
from application.demo_data import HISTORY
from application.errors import DuplicateTaskId, InvalidRecord
from application.ports import IdempotencyRecord, OwnerTaskCount
from application.use_cases import CreateTask, UpdateTask
from application.use_cases.admin import (
    ExportTasks,
    GetStats,
    ImportTasks,
    PurgeUser,
    SeedTasks,
)
from domain.errors import InvalidTaskField
from domain.recurrence import Frequency, Recurrence, RecurrenceRule
from domain.task import NewTask, Priority, Task, TaskChanges, TaskRecord
from tests.fakes import T0, FixedClock, SteppingClock, fields_of

ALICE = "alice"
BOB = "bob"


class Admin:
    """The admin use cases wired on one in-memory store, as the container would."""

    def __init__(self, *, page_size: int = 1000, batch_size: int = 1000) -> None:
        self.store = InMemoryTaskStore()
        self.clock = SteppingClock()
        self.create = CreateTask(self.uow(), self.clock)
        self.update = UpdateTask(self.uow(), self.clock)
        self.export = ExportTasks(self.uow(), page_size=page_size)
        self.import_ = ImportTasks(self.uow(), self.clock, batch_size=batch_size)
        self.purge = PurgeUser(self.uow())
        self.stats = GetStats(self.uow())
        self.seed = SeedTasks(self.uow(), FixedClock(), batch_size=batch_size)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    async def add(self, owner: str, count: int, **fields: object) -> list[Task]:
        return [
            await self.create.execute(owner, NewTask(title=f"{owner} task {i}", **fields))  # type: ignore[arg-type]
            for i in range(count)
        ]

    async def exported(self, owner: str) -> list[Task]:
        return [task async for task in self.export.execute(owner)]

    def tasks_of(self, owner: str) -> list[Task]:
        return [task for (who, _), task in self.store.tasks.items() if who == owner]


def record_of(task: Task, **changes: object) -> TaskRecord:
    """The task as an export file holds it (every field but the owner)."""
    fields: dict[str, object] = {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": task.due_date,
        "priority": task.priority,
        "tags": task.tags,
        "remind_at": task.remind_at,
        "recurrence": task.recurrence,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
        "next_task_id": task.next_task_id,
        "version": task.version,
        **changes,
    }
    return TaskRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def admin() -> Admin:
    return Admin()


# --- ExportTasks ----------------------------------------------------------------------------


async def test_export_gives_every_task_of_the_owner_oldest_first() -> None:
    admin = Admin(page_size=3)
    tasks = await admin.add(ALICE, 10)
    await admin.add(BOB, 4)
    exported = await admin.exported(ALICE)
    assert [t.id for t in exported] == [t.id for t in tasks]
    assert all(t.user_id == ALICE for t in exported)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 6, 7])
async def test_export_pages_end_exactly(count: int) -> None:
    admin = Admin(page_size=3)
    await admin.add(ALICE, count)
    assert len(await admin.exported(ALICE)) == count


async def test_export_of_an_unknown_user_is_empty(admin: Admin) -> None:
    await admin.add(ALICE, 2)
    assert await admin.exported("nobody") == []


async def test_export_breaks_ties_on_created_at_by_id() -> None:
    admin = Admin(page_size=2)
    admin.create = CreateTask(admin.uow(), FixedClock())
    tasks = await admin.add(ALICE, 7)
    exported = await admin.exported(ALICE)
    assert sorted(t.id for t in tasks) == [t.id for t in exported]


async def test_export_reads_each_page_in_its_own_transaction() -> None:
    """Nothing is held open between pages: a task added meanwhile after the position
    still shows up, and none shows up twice."""
    admin = Admin(page_size=2)
    await admin.add(ALICE, 3)
    seen: list[Task] = []
    async for task in admin.export.execute(ALICE):
        seen.append(task)
        if len(seen) == 1:
            await admin.add(ALICE, 1)
    assert len(seen) == 4
    assert len({t.id for t in seen}) == 4


# --- ImportTasks ----------------------------------------------------------------------------


async def test_import_keeps_ids_timestamps_versions_and_fields(admin: Admin) -> None:
    created = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    weekly = Recurrence(Frequency.WEEKLY, 1, starts_on=date(2024, 4, 26))
    next_id = uuid.uuid4()
    records = [
        TaskRecord(
            id=uuid.uuid4(),
            title="  Buy milk ",
            description="2 litres\nsemi-skimmed",
            completed=True,
            due_date=date(2024, 5, 3),
            priority=Priority.HIGH,
            tags=(" errands", "Home"),
            remind_at=datetime(2024, 5, 3, 9, 0, tzinfo=timezone(timedelta(hours=2))),
            recurrence=weekly,
            created_at=created,
            updated_at=created + timedelta(days=2),
            completed_at=created + timedelta(days=1),
            next_task_id=next_id,
            version=4,
        ),
        TaskRecord(title="Minimal"),
    ]
    assert await admin.import_.execute(ALICE, records) == 2
    first, second = sorted(admin.tasks_of(ALICE), key=lambda t: t.title)
    assert fields_of(first) == (
        records[0].id,
        ALICE,
        "Buy milk",
        "2 litres\nsemi-skimmed",
        True,
        date(2024, 5, 3),
        created,
        created + timedelta(days=2),
        4,
        Priority.HIGH,
        ("errands", "Home"),
        datetime(2024, 5, 3, 7, 0, tzinfo=UTC),
        weekly,  # its series' first date kept, not moved to the due date
        created + timedelta(days=1),  # not updated_at: it was edited after completion
        next_id,
    )
    assert second.title == "Minimal"
    assert second.description is None
    assert second.completed is False
    assert second.due_date is None
    assert second.created_at == second.updated_at
    assert second.created_at.tzinfo is not None
    assert second.version == 1
    assert (second.priority, second.tags, second.remind_at, second.recurrence) == (
        Priority.NONE,
        (),
        None,
        None,
    )
    assert (second.completed_at, second.next_task_id) == (None, None)


async def test_a_completed_record_without_completed_at_was_completed_when_last_updated(
    admin: Admin,
) -> None:
    """Version 1 files predate completed_at (and every other new field)."""
    updated = datetime(2024, 5, 3, 8, 0, tzinfo=UTC)
    records = [
        TaskRecord(title="done", completed=True, created_at=T0 - timedelta(days=900)),
        TaskRecord(title="done later", completed=True, updated_at=updated),
        TaskRecord(title="pending", updated_at=updated),
    ]
    await admin.import_.execute(ALICE, records)
    by_title = {t.title: t for t in admin.tasks_of(ALICE)}
    assert by_title["done"].completed_at == T0 - timedelta(days=900)
    assert by_title["done later"].completed_at == updated
    assert by_title["pending"].completed_at is None


async def test_a_recurring_record_is_anchored_at_its_due_date_when_it_has_no_starts_on(
    admin: Admin,
) -> None:
    record = TaskRecord(
        title="t", due_date=date(2025, 3, 3), recurrence=RecurrenceRule(Frequency.MONTHLY, 2)
    )
    await admin.import_.execute(ALICE, [record])
    (task,) = admin.tasks_of(ALICE)
    assert task.recurrence == Recurrence(Frequency.MONTHLY, 2, starts_on=date(2025, 3, 3))


async def test_import_fills_created_at_from_updated_at_when_only_that_is_given(
    admin: Admin,
) -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    await admin.import_.execute(ALICE, [TaskRecord(title="t", updated_at=moment)])
    (task,) = admin.tasks_of(ALICE)
    assert task.created_at == task.updated_at == moment


async def complete_a_recurring_task(admin: Admin, owner: str) -> tuple[Task, Task]:
    """A weekly task completed (which makes its next occurrence), then edited again."""
    (task,) = await admin.add(
        owner,
        1,
        due_date=date(2025, 3, 3),
        priority=Priority.MEDIUM,
        tags=("home", "Weekend"),
        remind_at=datetime(2025, 3, 2, 18, tzinfo=UTC),
        recurrence=RecurrenceRule(Frequency.WEEKLY, 1),
    )
    done = await admin.update.execute(owner, task.id, TaskChanges(completed=True))
    assert done.next_task_id is not None
    done = await admin.update.execute(owner, task.id, TaskChanges(description="went well"))
    assert done.completed_at is not None
    assert done.completed_at < done.updated_at
    (follow_up,) = [t for t in admin.tasks_of(owner) if t.id == done.next_task_id]
    return done, follow_up


async def test_export_then_import_into_a_purged_user_restores_the_same_tasks(admin: Admin) -> None:
    await admin.add(ALICE, 5, description="d", due_date=date(2025, 3, 1))
    await admin.add(ALICE, 2, completed=True)
    await admin.add(ALICE, 2, priority=Priority.HIGH, tags=("work",))
    await complete_a_recurring_task(admin, ALICE)
    before = sorted((fields_of(t) for t in await admin.exported(ALICE)), key=str)
    records = [record_of(task) for task in await admin.exported(ALICE)]
    await admin.purge.execute(ALICE)
    assert admin.tasks_of(ALICE) == []
    assert await admin.import_.execute(ALICE, records) == 11
    after = sorted((fields_of(t) for t in await admin.exported(ALICE)), key=str)
    assert after == before


async def test_import_accepts_an_async_stream(admin: Admin) -> None:
    async def records() -> AsyncIterator[TaskRecord]:
        for i in range(3):
            yield TaskRecord(title=f"streamed {i}")

    assert await admin.import_.execute(ALICE, records()) == 3


async def test_import_with_new_ids_copies_tasks_to_another_user(admin: Admin) -> None:
    tasks = await admin.add(ALICE, 3)
    records = [record_of(task) for task in tasks]
    assert await admin.import_.execute(BOB, records, new_ids=True) == 3
    copies = admin.tasks_of(BOB)
    assert {t.id for t in copies}.isdisjoint({t.id for t in tasks})
    assert sorted((t.title, t.created_at) for t in copies) == sorted(
        (t.title, t.created_at) for t in tasks
    )
    assert len(admin.tasks_of(ALICE)) == 3


async def test_import_with_new_ids_drops_the_link_to_the_next_occurrence(admin: Admin) -> None:
    """Under new ids, ``next_task_id`` would name the old id: a task of the user the file
    came from, never one of the copies."""
    done, follow_up = await complete_a_recurring_task(admin, ALICE)
    assert await admin.import_.execute(BOB, [record_of(done), record_of(follow_up)], new_ids=True)
    copies = sorted(admin.tasks_of(BOB), key=lambda t: t.created_at)
    assert [fields_of(t)[2:-1] for t in copies] == [
        fields_of(t)[2:-1] for t in (done, follow_up)
    ]  # all but id, owner and next_task_id
    assert [t.next_task_id for t in copies] == [None, None]
    # The originals keep their link.
    assert [t.next_task_id for t in admin.tasks_of(ALICE) if t.id == done.id] == [follow_up.id]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "   "}, "title", "must not be blank"),
        ({"title": "x" * 201}, "title", "at most 200"),
        ({"description": "x" * 1001}, "description", "at most 1000"),
        ({"title": "bad\x00title"}, "title", "control characters"),
        ({"created_at": datetime(2025, 1, 1)}, "created_at", "timezone-aware"),
        (
            {"created_at": T0, "updated_at": T0 - timedelta(seconds=1)},
            "updated_at",
            "before created_at",
        ),
        ({"version": 0}, "version", "positive"),
    ],
)
async def test_one_bad_record_writes_nothing_and_names_index_and_field(
    admin: Admin, changes: dict[str, object], field: str, message: str
) -> None:
    records: list[TaskRecord] = [TaskRecord(title=f"good {i}") for i in range(5)]
    records.insert(3, TaskRecord(**{"title": "t", **changes}))  # type: ignore[arg-type]
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, records)
    assert (caught.value.index, caught.value.field) == (3, field)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"tasks[3].{field}: ")
    assert admin.store.tasks == {}


async def test_a_bad_record_in_a_later_batch_rolls_back_earlier_batches() -> None:
    admin = Admin(batch_size=10)
    records = [TaskRecord(title=f"t{i}") for i in range(95)] + [TaskRecord(title="")]
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, records)
    assert caught.value.index == 95
    assert admin.store.tasks == {}


async def test_an_error_raised_by_the_stream_itself_writes_nothing() -> None:
    admin = Admin(batch_size=10)

    def records() -> Iterator[TaskRecord]:
        for i in range(25):
            yield TaskRecord(title=f"t{i}")
        raise ValueError("the file ends in the middle")

    with pytest.raises(ValueError, match="middle"):
        await admin.import_.execute(ALICE, records())
    assert admin.store.tasks == {}


async def test_a_repeated_id_in_the_same_batch_is_refused(admin: Admin) -> None:
    task_id = uuid.uuid4()
    records = [TaskRecord(title="a", id=task_id), TaskRecord(title="b", id=task_id)]
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, records)
    assert (caught.value.index, caught.value.field) == (1, "id")
    assert "tasks[0]" in caught.value.message
    assert admin.store.tasks == {}


async def test_a_repeated_id_in_a_later_batch_is_refused() -> None:
    admin = Admin(batch_size=2)
    task_id = uuid.uuid4()
    records = [TaskRecord(title="a", id=task_id)] + [TaskRecord(title="x")] * 3
    records.append(TaskRecord(title="b", id=task_id))
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, records)
    assert (caught.value.index, caught.value.field) == (4, "id")
    assert "already exists for this user" in caught.value.message
    assert admin.store.tasks == {}


async def test_importing_the_same_export_twice_fails_instead_of_duplicating(admin: Admin) -> None:
    tasks = await admin.add(ALICE, 3)
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, [record_of(t) for t in tasks])
    assert (caught.value.index, caught.value.field) == (0, "id")
    assert "already exists for this user" in caught.value.message
    assert len(admin.tasks_of(ALICE)) == 3


async def test_an_id_of_another_users_task_is_refused(admin: Admin) -> None:
    (bobs,) = await admin.add(BOB, 1)
    records = [TaskRecord(title="mine"), record_of(bobs)]
    with pytest.raises(InvalidRecord) as caught:
        await admin.import_.execute(ALICE, records)
    assert (caught.value.index, caught.value.field) == (1, "id")
    assert "another user" in caught.value.message
    assert admin.tasks_of(ALICE) == []
    assert [fields_of(t) for t in admin.tasks_of(BOB)] == [fields_of(bobs)]


async def test_import_into_an_invalid_owner_is_refused(admin: Admin) -> None:
    with pytest.raises(InvalidTaskField):
        await admin.import_.execute("", [TaskRecord(title="t")])


async def test_import_reports_progress_after_each_batch() -> None:
    admin = Admin(batch_size=4)
    seen: list[int] = []
    await admin.import_.execute(
        ALICE, [TaskRecord(title=f"t{i}") for i in range(10)], on_progress=seen.append
    )
    assert seen == [4, 8, 10]


async def test_import_of_nothing_is_fine(admin: Admin) -> None:
    assert await admin.import_.execute(ALICE, []) == 0


# --- PurgeUser ------------------------------------------------------------------------------


async def test_purge_erases_the_users_tasks_and_keys_only(admin: Admin) -> None:
    await admin.add(ALICE, 3)
    bobs = await admin.add(BOB, 2)
    for owner, key in [(ALICE, "k1"), (ALICE, "k2"), (BOB, "k1")]:
        admin.store.idempotency[(owner, key)] = IdempotencyRecord(owner, key, "f", bobs[0], T0)
    result = await admin.purge.execute(ALICE)
    assert (result.tasks, result.idempotency_keys) == (3, 2)
    assert admin.tasks_of(ALICE) == []
    assert len(admin.tasks_of(BOB)) == 2
    assert list(admin.store.idempotency) == [(BOB, "k1")]


async def test_purging_a_user_with_nothing_erases_nothing(admin: Admin) -> None:
    await admin.add(BOB, 1)
    result = await admin.purge.execute("nobody")
    assert (result.tasks, result.idempotency_keys) == (0, 0)
    assert len(admin.tasks_of(BOB)) == 1


# --- GetStats -------------------------------------------------------------------------------


async def test_stats_count_users_tasks_completed_and_the_largest_users(admin: Admin) -> None:
    await admin.add("carol", 2)
    await admin.add(ALICE, 3, completed=True)
    await admin.add(BOB, 3)
    await admin.add("dave", 1)
    stats = await admin.stats.execute(top=3)
    assert (stats.owners, stats.tasks, stats.completed) == (4, 9, 3)
    assert stats.completed_ratio == pytest.approx(3 / 9)
    # Most tasks first; ties by user id.
    assert list(stats.largest) == [
        OwnerTaskCount(ALICE, 3),
        OwnerTaskCount(BOB, 3),
        OwnerTaskCount("carol", 2),
    ]


async def test_stats_of_an_empty_store(admin: Admin) -> None:
    stats = await admin.stats.execute()
    assert (stats.owners, stats.tasks, stats.completed, list(stats.largest)) == (0, 0, 0, [])
    assert stats.completed_ratio is None


async def test_stats_default_to_the_ten_largest_users(admin: Admin) -> None:
    for i in range(12):
        await admin.add(f"user-{i:02}", 1)
    assert len((await admin.stats.execute()).largest) == 10


# --- SeedTasks ------------------------------------------------------------------------------


async def test_seed_adds_realistic_tasks_that_obey_every_rule() -> None:
    admin = Admin(batch_size=64)
    progress: list[int] = []
    assert await admin.seed.execute(ALICE, 500, seed=7, on_progress=progress.append) == 500
    assert progress[-1] == 500
    assert progress == sorted(progress)
    tasks = admin.tasks_of(ALICE)
    assert len(tasks) == 500
    now = T0
    for task in tasks:
        # Re-checking through the aggregate: a seeded task is a task the domain accepts.
        restored = Task.restore(
            NewTask(
                task.title,
                task.description,
                task.completed,
                task.due_date,
                task.priority,
                task.tags,
                task.remind_at,
                task.recurrence,
            ),
            task_id=task.id,
            user_id=task.user_id,
            created_at=task.created_at,
            updated_at=task.updated_at,
            version=task.version,
            completed_at=task.completed_at,
            next_task_id=task.next_task_id,
        )
        assert restored.completed_at == task.completed_at
        assert now - HISTORY <= task.created_at <= task.updated_at <= now
        if task.completed_at is not None:
            assert task.created_at <= task.completed_at <= task.updated_at
        assert len(task.tags) <= 3
        if task.remind_at is not None:
            assert task.due_date is not None
            assert task.remind_at.date() <= task.due_date  # before the task is due
    # Varied: some done, some with due dates, some with descriptions, many titles.
    completed = sum(t.completed for t in tasks)
    assert 100 < completed < 300
    assert 200 < sum(t.due_date is not None for t in tasks) < 400
    assert 150 < sum(t.description is not None for t in tasks) < 400
    assert len({t.title for t in tasks}) > 100
    assert any(t.version > 1 for t in tasks)
    spread = max(t.created_at for t in tasks) - min(t.created_at for t in tasks)
    assert spread > timedelta(days=90)
    # Every priority, the default the most common; tags from a small vocabulary.
    priorities = Counter(t.priority for t in tasks)
    assert set(priorities) == set(Priority)
    assert priorities.most_common(1)[0][0] is Priority.NONE
    assert 5 <= len({tag for t in tasks for tag in t.tags}) <= 15
    assert 150 < sum(bool(t.tags) for t in tasks) < 450
    assert 50 < sum(t.remind_at is not None for t in tasks) < 200
    assert 10 < sum(t.recurrence is not None for t in tasks) < 80


async def test_seed_continues_the_series_of_completed_recurring_tasks() -> None:
    admin = Admin()
    await admin.seed.execute(ALICE, 500, seed=7)
    by_id = {t.id: t for t in admin.tasks_of(ALICE)}
    continued = [t for t in by_id.values() if t.next_task_id is not None]
    assert continued
    for task in continued:
        assert task.completed
        assert task.recurrence is not None
        follow_up = by_id[task.next_task_id]  # in the seeded tasks, counted among them
        assert (follow_up.title, follow_up.recurrence) == (task.title, task.recurrence)
        assert follow_up.completed_at is None
        assert follow_up.created_at == task.completed_at
        assert follow_up.due_date is not None
        assert task.due_date is not None
        assert follow_up.due_date > task.due_date


@pytest.mark.parametrize("count", [1, 2, 3, 17])
async def test_seed_adds_exactly_count_tasks_and_cuts_no_series(count: int) -> None:
    for seed in range(20):
        admin = Admin()
        assert await admin.seed.execute(ALICE, count, seed=seed) == count
        tasks = admin.tasks_of(ALICE)
        assert len(tasks) == count
        ids = {t.id for t in tasks}
        assert all(t.next_task_id in ids for t in tasks if t.next_task_id is not None)


async def test_seed_with_the_same_seed_gives_the_same_content_under_new_ids() -> None:
    first, second = Admin(), Admin()
    await first.seed.execute(ALICE, 50, seed=3)
    await second.seed.execute(ALICE, 50, seed=3)

    def content(admin: Admin) -> list[tuple[object, ...]]:
        return sorted(
            (
                (
                    t.created_at,
                    t.title,
                    t.description,
                    t.completed,
                    t.due_date,
                    t.priority,
                    t.tags,
                    t.remind_at,
                    t.recurrence,
                    t.completed_at,
                    t.next_task_id is None,
                )
                for t in admin.tasks_of(ALICE)
            ),
            key=str,
        )

    assert content(first) == content(second)
    assert {t.id for t in first.tasks_of(ALICE)}.isdisjoint(t.id for t in second.tasks_of(ALICE))


async def test_seed_refuses_an_invalid_owner(admin: Admin) -> None:
    with pytest.raises(InvalidTaskField):
        await admin.seed.execute(" ", 3)
    assert admin.store.tasks == {}


# --- The in-memory adapter's bulk methods ---------------------------------------------------


async def test_add_many_refuses_a_taken_id_and_stages_nothing(admin: Admin) -> None:
    (existing,) = await admin.add(ALICE, 1)
    fresh = Task.create(user_id=BOB, title="new", now=T0)
    clash = Task.create(user_id=BOB, title="clash", now=T0, task_id=existing.id)
    async with admin.uow() as uow:
        with pytest.raises(DuplicateTaskId):
            await uow.tasks.add_many([fresh, clash])
        assert await uow.tasks.get(BOB, fresh.id) is None


async def test_bulk_writes_land_only_on_commit(admin: Admin) -> None:
    await admin.add(ALICE, 2)
    async with admin.uow() as uow:
        await uow.tasks.add_many([Task.create(user_id=BOB, title="b", now=T0)])
        assert await uow.tasks.remove_all(ALICE) == 2
        stats = await uow.tasks.stats(top=5)
        assert (stats.owners, stats.tasks) == (1, 1)
    assert len(admin.tasks_of(ALICE)) == 2
    assert admin.tasks_of(BOB) == []
