"""Recurring completions, batches, clear completed, the summary and the tag counts, as use
cases on the in-memory store."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest

from application.errors import InvalidQuery, TaskNotFound
from application.queries import TaskQuery
from application.use_cases import (
    BatchAction,
    BatchEditTasks,
    ClearCompletedTasks,
    GetTaskSummary,
    ListTags,
    UpdateTask,
)
from domain.recurrence import Frequency, RecurrenceRule
from domain.task import NewTask, Priority, Task, TaskChanges
from tests.fakes import InterleavingUnitOfWork
from tests.unit.application.test_use_cases import ALICE, BOB, App, Gate

MONTHLY = RecurrenceRule(Frequency.MONTHLY, 1)


class FeatureApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.batch = BatchEditTasks(self.uow(), self.clock)
        self.clear = ClearCompletedTasks(self.uow())
        self.summary = GetTaskSummary(self.uow(), self.clock)
        self.tags = ListTags(self.uow())

    async def all_tasks(self, owner: str) -> list[Task]:
        async with self.uow() as uow:
            return list(await uow.tasks.list(owner, TaskQuery(limit=1000)))


@pytest.fixture
def app() -> FeatureApp:
    return FeatureApp()


async def recurring(app: FeatureApp, owner: str = ALICE, due: date = date(2025, 1, 31)) -> Task:
    return await app.create.execute(
        owner, NewTask(title="Pay rent", due_date=due, recurrence=MONTHLY, tags=("home",))
    )


async def test_completing_through_an_update_stores_the_next_occurrence(app: FeatureApp) -> None:
    task = await recurring(app)
    done = await app.update.execute(ALICE, task.id, TaskChanges(completed=True))
    assert done.next_task_id is not None
    follow_up = await app.stored(ALICE, done.next_task_id)
    assert follow_up is not None
    assert (follow_up.due_date, follow_up.completed, follow_up.tags) == (
        date(2025, 2, 28),
        False,
        ("home",),
    )
    assert (await app.stored(ALICE, task.id)).next_task_id == follow_up.id  # type: ignore[union-attr]


async def test_the_toggle_continues_the_series_and_a_second_completion_does_not(
    app: FeatureApp,
) -> None:
    task = await recurring(app)
    await app.toggle.execute(ALICE, task.id)  # completed: next occurrence
    await app.toggle.execute(ALICE, task.id)  # reopened
    await app.toggle.execute(ALICE, task.id)  # completed again: nothing new
    await app.update.execute(ALICE, task.id, TaskChanges(completed=True))  # a retry
    assert len(await app.all_tasks(ALICE)) == 2


async def test_concurrent_completions_create_one_next_occurrence(app: FeatureApp) -> None:
    """Both completers read the pending task; the second one's write loses, it re-reads a
    completed task that has continued its series, and creates nothing."""
    task = await recurring(app)
    gate = Gate()
    late = UpdateTask(InterleavingUnitOfWork(app.store, gate), app.clock)
    running = asyncio.create_task(late.execute(ALICE, task.id, TaskChanges(completed=True)))
    await gate.reached.wait()  # the late completer has read the pending task
    await app.update.execute(ALICE, task.id, TaskChanges(completed=True))
    gate.released.set()
    await running
    tasks = await app.all_tasks(ALICE)
    assert len(tasks) == 2
    assert sum(1 for t in tasks if not t.completed) == 1


async def test_a_batch_completes_all_and_continues_every_series(app: FeatureApp) -> None:
    first, second = await recurring(app), await recurring(app, due=date(2025, 3, 1))
    plain = await app.create.execute(ALICE, NewTask(title="Call mum"))
    result = await app.batch.execute(ALICE, BatchAction.COMPLETE, [first.id, second.id, plain.id])
    assert {t.id for t in result.tasks} == {first.id, second.id, plain.id}
    assert all(t.completed for t in result.tasks)
    assert sorted(t.due_date for t in result.created) == [date(2025, 2, 28), date(2025, 4, 1)]  # type: ignore[type-var]
    assert result.deleted == []
    assert len(await app.all_tasks(ALICE)) == 5


async def test_a_batch_reports_only_the_tasks_it_changed(app: FeatureApp) -> None:
    done = await app.create.execute(ALICE, NewTask(title="done", completed=True))
    pending = await app.create.execute(ALICE, NewTask(title="pending"))
    result = await app.batch.execute(ALICE, BatchAction.REOPEN, [done.id, pending.id])
    assert [t.id for t in result.tasks] == [done.id]


async def test_a_batch_with_another_users_task_changes_nothing(app: FeatureApp) -> None:
    mine = await app.create.execute(ALICE, NewTask(title="mine"))
    theirs = await app.create.execute(BOB, NewTask(title="theirs"))
    for action in BatchAction:
        with pytest.raises(TaskNotFound) as caught:
            await app.batch.execute(ALICE, action, [mine.id, theirs.id])
        assert caught.value.task_id == theirs.id
    assert (await app.stored(ALICE, mine.id)).completed is False  # type: ignore[union-attr]
    assert await app.stored(BOB, theirs.id) is not None
    with pytest.raises(TaskNotFound):
        await app.batch.execute(ALICE, BatchAction.DELETE, [mine.id, uuid.uuid4()])
    assert await app.stored(ALICE, mine.id) is not None


async def test_a_batch_deletes_and_says_what(app: FeatureApp) -> None:
    a, b = [await app.create.execute(ALICE, NewTask(title=t)) for t in "ab"]
    result = await app.batch.execute(ALICE, BatchAction.DELETE, [a.id, b.id])
    assert result.deleted == [a.id, b.id]
    assert await app.all_tasks(ALICE) == []


@pytest.mark.parametrize("count", [0, 201])
async def test_a_batch_takes_one_to_two_hundred_ids(app: FeatureApp, count: int) -> None:
    with pytest.raises(InvalidQuery) as caught:
        await app.batch.execute(ALICE, BatchAction.COMPLETE, [uuid.uuid4() for _ in range(count)])
    assert caught.value.field == "ids"


async def test_a_batch_refuses_an_id_given_twice(app: FeatureApp) -> None:
    task = await app.create.execute(ALICE, NewTask(title="t"))
    with pytest.raises(InvalidQuery):
        await app.batch.execute(ALICE, BatchAction.COMPLETE, [task.id, task.id])


async def test_clear_completed_deletes_only_the_owners_completed_tasks(app: FeatureApp) -> None:
    await app.create.execute(ALICE, NewTask(title="done", completed=True))
    kept = await app.create.execute(ALICE, NewTask(title="open"))
    bobs = await app.create.execute(BOB, NewTask(title="bob's", completed=True))
    assert await app.clear.execute(ALICE) == 1
    assert [t.id for t in await app.all_tasks(ALICE)] == [kept.id]
    assert await app.stored(BOB, bobs.id) is not None
    assert await app.clear.execute(ALICE) == 0


async def test_the_summary_counts_pending_work(app: FeatureApp) -> None:
    today = date(2025, 6, 15)
    for title, due, done, priority in [
        ("late", date(2025, 6, 1), False, Priority.HIGH),
        ("today", today, False, Priority.LOW),
        ("later", date(2025, 7, 1), False, Priority.NONE),
        ("undated", None, False, Priority.HIGH),
        ("late but done", date(2025, 6, 1), True, Priority.HIGH),
    ]:
        await app.create.execute(
            ALICE, NewTask(title=title, due_date=due, completed=done, priority=priority)
        )
    await app.create.execute(BOB, NewTask(title="bob's", due_date=date(2025, 6, 1)))
    summary = await app.summary.execute(ALICE, today=today)
    assert (summary.total, summary.pending, summary.completed) == (5, 4, 1)
    assert (summary.overdue, summary.due_today) == (1, 1)
    assert summary.by_priority == {
        Priority.NONE: 1,
        Priority.LOW: 1,
        Priority.MEDIUM: 0,
        Priority.HIGH: 2,
    }


async def test_the_summary_defaults_to_the_clocks_date(app: FeatureApp) -> None:
    today = app.clock.peek().date()
    await app.create.execute(ALICE, NewTask(title="now", due_date=today))
    assert (await app.summary.execute(ALICE)).due_today == 1


async def test_tags_are_counted_by_name_in_their_first_seen_spelling(app: FeatureApp) -> None:
    await app.create.execute(ALICE, NewTask(title="a", tags=("Work", "home")))
    await app.create.execute(ALICE, NewTask(title="b", tags=("work",)))
    await app.create.execute(ALICE, NewTask(title="c", tags=("errands", "HOME")))
    await app.create.execute(BOB, NewTask(title="bob's", tags=("secret",)))
    counts = [(tag.name, tag.count) for tag in await app.tags.execute(ALICE)]
    assert counts == [("errands", 1), ("home", 2), ("Work", 2)]
