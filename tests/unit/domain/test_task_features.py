"""The aggregate's rules for priorities, tags, reminders and recurring tasks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidTaskField
from domain.recurrence import Frequency, Recurrence, RecurrenceRule
from domain.task import NewTask, Priority, Task, TaskChanges, TaskRecord

T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
WEEKLY = RecurrenceRule(Frequency.WEEKLY, 1)


def a_task(**fields: object) -> Task:
    return Task.create(user_id="alice", title="Water plants", now=T0, **fields)  # type: ignore[arg-type]


def test_a_new_task_has_no_priority_tags_reminder_or_recurrence() -> None:
    task = a_task()
    assert (task.priority, task.tags, task.remind_at, task.recurrence) == (
        Priority.NONE,
        (),
        None,
        None,
    )
    assert (task.completed_at, task.next_task_id) == (None, None)


def test_tags_are_trimmed_and_keep_their_order_and_case() -> None:
    assert a_task(tags=(" Home ", "errands", "WORK")).tags == ("Home", "errands", "WORK")


@pytest.mark.parametrize(
    ("tags", "why"),
    [
        (("home", "Home"), "appears twice"),
        (("a",) * 21, "at most 20"),
        (("",), "blank"),
        (("   ",), "blank"),
        (("x" * 51,), "at most 50"),
        (("a,b",), "comma"),
        (("bell\x07",), "control"),
        (("nul\x00",), "control"),
    ],
)
def test_bad_tags_are_refused(tags: tuple[str, ...], why: str) -> None:
    with pytest.raises(InvalidTaskField) as caught:
        a_task(tags=tags)
    assert caught.value.field == "tags"
    assert why in caught.value.message


def test_twenty_tags_of_fifty_characters_are_fine() -> None:
    tags = tuple(f"{i:02d}" + "x" * 48 for i in range(20))
    assert a_task(tags=tags).tags == tags


def test_a_reminder_is_kept_in_utc_and_needs_an_offset() -> None:
    local = datetime(2025, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    task = a_task(remind_at=local)
    assert task.remind_at == local
    assert task.remind_at is not None
    assert task.remind_at.utcoffset() == timedelta(0)
    with pytest.raises(InvalidTaskField) as caught:
        a_task(remind_at=datetime(2025, 3, 1, 9, 0))
    assert caught.value.field == "remind_at"


def test_a_recurrence_starts_on_the_due_date_and_needs_one() -> None:
    task = a_task(due_date=date(2025, 1, 31), recurrence=WEEKLY)
    assert task.recurrence == Recurrence(Frequency.WEEKLY, 1, date(2025, 1, 31))
    with pytest.raises(InvalidTaskField) as caught:
        a_task(recurrence=WEEKLY)
    assert caught.value.field == "recurrence"


def test_clearing_the_due_date_of_a_recurring_task_is_refused() -> None:
    task = a_task(due_date=date(2025, 1, 31), recurrence=WEEKLY)
    with pytest.raises(InvalidTaskField) as caught:
        task.apply(TaskChanges(due_date=None), LATER)
    assert caught.value.field == "due_date"
    assert task.due_date == date(2025, 1, 31)  # nothing changed
    assert task.apply(TaskChanges(due_date=None, recurrence=None), LATER)
    assert (task.due_date, task.recurrence) == (None, None)


def test_starts_on_stays_while_the_rule_stays_and_restarts_when_it_changes() -> None:
    task = a_task(due_date=date(2025, 1, 31), recurrence=WEEKLY)
    task.apply(TaskChanges(due_date=date(2025, 2, 7), recurrence=WEEKLY), LATER)
    assert task.recurrence == Recurrence(Frequency.WEEKLY, 1, date(2025, 1, 31))
    task.apply(TaskChanges(recurrence=RecurrenceRule(Frequency.MONTHLY, 1)), LATER)
    assert task.recurrence == Recurrence(Frequency.MONTHLY, 1, date(2025, 2, 7))


def test_completing_sets_completed_at_and_reopening_clears_it() -> None:
    task = a_task()
    task.apply(TaskChanges(completed=True), LATER)
    assert task.completed_at == LATER
    task.apply(TaskChanges(completed=False), LATER + timedelta(minutes=1))
    assert task.completed_at is None
    assert a_task(completed=True).completed_at == T0


def test_completing_a_recurring_task_creates_its_next_occurrence_once() -> None:
    remind = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
    task = a_task(
        description="the ferns",
        due_date=date(2025, 1, 31),
        recurrence=RecurrenceRule(Frequency.MONTHLY, 1),
        priority=Priority.HIGH,
        tags=("home",),
        remind_at=remind,
    )
    edit = task.edit(TaskChanges(completed=True), LATER)
    follow_up = edit.next_occurrence
    assert edit.changed
    assert follow_up is not None
    assert task.next_task_id == follow_up.id
    assert (follow_up.title, follow_up.description, follow_up.priority, follow_up.tags) == (
        "Water plants",
        "the ferns",
        Priority.HIGH,
        ("home",),
    )
    assert follow_up.due_date == date(2025, 2, 28)
    assert follow_up.remind_at == remind + timedelta(days=28)
    assert follow_up.recurrence == task.recurrence  # the same series, same starts_on
    assert (follow_up.completed, follow_up.next_task_id, follow_up.created_at) == (
        False,
        None,
        LATER,
    )
    # Reopening and completing again, or completing again, creates no second one.
    assert task.edit(TaskChanges(completed=True), LATER).next_occurrence is None
    assert task.edit(TaskChanges(completed=False), LATER).next_occurrence is None
    assert task.edit(TaskChanges(completed=True), LATER).next_occurrence is None
    assert task.toggle_completed(LATER).next_occurrence is None


def test_only_completing_creates_an_occurrence() -> None:
    task = a_task(due_date=date(2025, 1, 31), recurrence=WEEKLY)
    assert task.edit(TaskChanges(title="Renamed"), LATER).next_occurrence is None
    done = a_task(due_date=date(2025, 1, 31), recurrence=WEEKLY, completed=True)
    assert done.edit(TaskChanges(title="Renamed"), LATER).next_occurrence is None
    plain = a_task(due_date=date(2025, 1, 31))
    assert plain.toggle_completed(LATER).next_occurrence is None


def test_the_toggle_continues_the_series_too() -> None:
    task = a_task(due_date=date(2025, 1, 1), recurrence=RecurrenceRule(Frequency.DAILY, 2))
    follow_up = task.toggle_completed(LATER).next_occurrence
    assert follow_up is not None
    assert follow_up.due_date == date(2025, 1, 3)


def test_a_restored_record_keeps_its_series_completion_and_next_task() -> None:
    record = TaskRecord(
        title="t",
        completed=True,
        due_date=date(2025, 2, 7),
        recurrence=Recurrence(Frequency.WEEKLY, 1, date(2025, 1, 31)),
        next_task_id=None,
    )
    task = Task.restore(record, task_id=None, user_id="alice", created_at=T0, updated_at=LATER)
    assert task.recurrence == Recurrence(Frequency.WEEKLY, 1, date(2025, 1, 31))
    assert task.completed_at == LATER  # no completed_at given: completed at its last change
    pending = Task.restore(
        NewTask(title="t"),
        task_id=None,
        user_id="alice",
        created_at=T0,
        updated_at=LATER,
        completed_at=LATER,
    )
    assert pending.completed_at is None


@given(
    priority=st.sampled_from(list(Priority)),
    tags=st.lists(st.sampled_from(["home", "work", "errands", "x"]), unique=True, max_size=4),
)
def test_an_edit_that_sets_the_same_values_changes_nothing(
    priority: Priority, tags: list[str]
) -> None:
    task = a_task(priority=priority, tags=tuple(tags))
    assert not task.apply(TaskChanges(priority=priority, tags=tuple(tags)), LATER)
    assert task.version == 1


@pytest.mark.parametrize("completed_at", [T0 - timedelta(seconds=1), LATER + timedelta(seconds=1)])
def test_a_restored_completion_must_fall_within_the_tasks_history(completed_at: datetime) -> None:
    with pytest.raises(InvalidTaskField) as caught:
        Task.restore(
            NewTask(title="t", completed=True),
            task_id=None,
            user_id="alice",
            created_at=T0,
            updated_at=LATER,
            completed_at=completed_at,
        )
    assert caught.value.field == "completed_at"
