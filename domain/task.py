"""The Task aggregate: one user's todo item and the rules that keep it valid."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from domain.errors import InvalidTaskField
from domain.fields import (
    DESCRIPTION_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX,
    TITLE_MAX_LENGTH,
    USER_ID_MAX_LENGTH,
    Priority,
    check_user_id,
    normalize_description,
    normalize_remind_at,
    normalize_tags,
    normalize_title,
)
from domain.recurrence import Recurrence, RecurrenceRule

__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "TAGS_MAX",
    "TAG_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "UNSET",
    "USER_ID_MAX_LENGTH",
    "Edit",
    "NewTask",
    "Priority",
    "Recurrence",
    "RecurrenceRule",
    "Task",
    "TaskChanges",
    "TaskRecord",
    "check_user_id",
    "normalize_description",
    "normalize_title",
]


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the clock must give timezone-aware datetimes")
    return moment


class _Unset:
    """Marker for "not given", distinct from an explicit ``None``."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = _Unset()


# The highest version a task may be brought back with (an import): the largest integer a
# JSON number holds exactly (JavaScript's Number.MAX_SAFE_INTEGER). Edits count on from
# there; the column holds 2**63 - 1, more than any number of edits can reach.
MAX_RESTORED_VERSION = 2**53 - 1


@dataclass(frozen=True)
class NewTask:
    """What a client sets when it creates a task; the rest comes from the aggregate."""

    title: str
    description: str | None = None
    completed: bool = False
    due_date: date | None = None
    priority: Priority = Priority.NONE
    tags: tuple[str, ...] = ()
    remind_at: datetime | None = None
    recurrence: RecurrenceRule | None = None

    def values(self) -> dict[str, Any]:
        """These fields by name, as ``Task.create`` takes them (a ``TaskRecord`` gives only
        these, not its id, timestamps and version)."""
        return {field.name: getattr(self, field.name) for field in fields(NewTask)}


@dataclass(frozen=True)
class TaskRecord(NewTask):
    """A task kept outside the service (an export, a stored response), for ``Task.restore``.
    ``None`` means "not given": a new id, or a timestamp the import chooses. Its recurrence
    may be anchored already (a ``Recurrence`` keeps its ``starts_on``)."""

    id: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    completed_at: datetime | None = None
    next_task_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TaskChanges:
    """A partial edit: only the fields that are set are changed.

    ``UNSET`` fields are left alone; ``None`` clears a description, due date, reminder or
    recurrence. ``tags`` replaces the whole list.
    """

    title: str | _Unset = UNSET
    description: str | _Unset | None = UNSET
    completed: bool | _Unset = UNSET
    due_date: date | _Unset | None = UNSET
    priority: Priority | _Unset = UNSET
    tags: tuple[str, ...] | _Unset = UNSET
    remind_at: datetime | _Unset | None = UNSET
    recurrence: RecurrenceRule | _Unset | None = UNSET


@dataclass(frozen=True)
class Edit:
    """What an edit did: whether the task changed, and the next occurrence it created (a
    recurring task that went from pending to completed), to be stored with it."""

    changed: bool
    next_occurrence: Task | None = None


@dataclass(eq=False)
class Task:
    """A todo item. Two tasks are the same task when their ids are equal."""

    id: uuid.UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    due_date: date | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    priority: Priority = Priority.NONE
    tags: tuple[str, ...] = ()
    remind_at: datetime | None = None
    recurrence: Recurrence | None = None
    completed_at: datetime | None = None
    next_task_id: uuid.UUID | None = None

    @classmethod
    def create(
        cls,
        *,
        user_id: str,
        title: str,
        now: datetime,
        description: str | None = None,
        completed: bool = False,
        due_date: date | None = None,
        priority: Priority = Priority.NONE,
        tags: tuple[str, ...] = (),
        remind_at: datetime | None = None,
        recurrence: RecurrenceRule | None = None,
        task_id: uuid.UUID | None = None,
    ) -> Task:
        """Make a new task, checking every rule. Ids are random UUIDs made here."""
        _require_aware(now)
        return cls(
            id=task_id or uuid.uuid4(),
            user_id=check_user_id(user_id),
            title=normalize_title(title),
            description=normalize_description(description),
            completed=completed,
            due_date=due_date,
            created_at=now,
            updated_at=now,
            version=1,
            priority=Priority(priority),
            tags=normalize_tags(tags),
            remind_at=normalize_remind_at(remind_at),
            recurrence=_anchored(recurrence, due_date, None),
            completed_at=now if completed else None,
        )

    @classmethod
    def restore(
        cls,
        new: NewTask,
        *,
        task_id: uuid.UUID | None,
        user_id: str,
        created_at: datetime,
        updated_at: datetime,
        version: int = 1,
        completed_at: datetime | None = None,
        next_task_id: uuid.UUID | None = None,
    ) -> Task:
        """Bring back a task kept elsewhere (an export, a backup): its fields (``new``), id,
        timestamps and version (``task_id=None``: a new id). Every rule of ``create``
        holds, and the history must be possible: timezone-aware timestamps, ``updated_at``
        not before ``created_at``, ``version`` ≥ 1, a completion between the two. A
        completed task without its ``completed_at`` (files from before it existed) was
        completed at ``updated_at``."""
        for name, moment in (
            ("created_at", created_at),
            ("updated_at", updated_at),
            ("completed_at", completed_at or updated_at),
        ):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidTaskField(name, "must be timezone-aware")
        if updated_at < created_at:
            raise InvalidTaskField("updated_at", "must not be before created_at")
        if isinstance(version, bool) or version < 1:
            raise InvalidTaskField("version", "must be a positive integer")
        if version > MAX_RESTORED_VERSION:
            raise InvalidTaskField("version", f"must be at most {MAX_RESTORED_VERSION}")
        if new.completed and completed_at and not created_at <= completed_at <= updated_at:
            raise InvalidTaskField("completed_at", "must be between created_at and updated_at")
        task = cls.create(user_id=user_id, now=created_at, task_id=task_id, **new.values())
        task.updated_at = updated_at
        task.version = version
        task.completed_at = (completed_at or updated_at) if task.completed else None
        task.next_task_id = next_task_id
        return task

    def apply(self, changes: TaskChanges, now: datetime) -> bool:
        """Apply a partial edit; all fields are checked before any is changed.

        Returns whether anything changed. A real change bumps ``version`` once and
        moves ``updated_at``; an edit that sets the values already there changes nothing.
        Completing sets ``completed_at``, reopening clears it.
        """
        _require_aware(now)
        due_date = self.due_date if isinstance(changes.due_date, _Unset) else changes.due_date
        recurrence = self.recurrence
        if not isinstance(changes.recurrence, _Unset):
            recurrence = _anchored(changes.recurrence, due_date, self.recurrence)
        elif recurrence is not None and due_date is None:
            raise InvalidTaskField(
                "due_date", "a recurring task needs a due date (clear its recurrence first)"
            )
        completed = self.completed if isinstance(changes.completed, _Unset) else changes.completed
        new_values = (
            _given_or(changes.title, self.title, normalize_title),
            _given_or(changes.description, self.description, normalize_description),
            completed,
            due_date,
            _given_or(changes.priority, self.priority, Priority),
            _given_or(changes.tags, self.tags, normalize_tags),
            _given_or(changes.remind_at, self.remind_at, normalize_remind_at),
            recurrence,
        )
        if new_values == self._editable():
            return False
        for name, value in zip(_EDITABLE, new_values, strict=True):
            setattr(self, name, value)
        if completed != (self.completed_at is not None):
            self.completed_at = now if completed else None
        self.updated_at = max(now, self.updated_at)
        self.version += 1
        return True

    def edit(self, changes: TaskChanges, now: datetime) -> Edit:
        """``apply``, and when it completes a recurring task that has not continued its
        series yet, make the next occurrence (``next_task_id`` names it)."""
        was_pending = not self.completed
        changed = self.apply(changes, now)
        if changed and was_pending and self.completed:
            return Edit(changed, self._continue_series(now))
        return Edit(changed)

    def toggle_completed(self, now: datetime) -> Edit:
        """Flip the completion flag (the compatibility API's ``/complete`` route)."""
        return self.edit(TaskChanges(completed=not self.completed), now)

    def _editable(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _EDITABLE)

    def _continue_series(self, now: datetime) -> Task | None:
        """The next occurrence: a pending copy due on the series' next date after this
        due date, its reminder moved by as many days. At most one per task."""
        if self.recurrence is None or self.due_date is None or self.next_task_id is not None:
            return None
        due = self.recurrence.next_after(self.due_date)
        if due is None:
            return None  # the series ran past the calendar's last date
        remind_at = self.remind_at
        if remind_at is not None:
            try:
                remind_at = remind_at + timedelta(days=(due - self.due_date).days)
            except OverflowError:
                remind_at = None
        follow_up = Task.create(
            user_id=self.user_id,
            title=self.title,
            description=self.description,
            due_date=due,
            priority=self.priority,
            tags=self.tags,
            remind_at=remind_at,
            recurrence=self.recurrence,
            now=now,
        )
        self.next_task_id = follow_up.id
        return follow_up

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


# What an edit may change, in TaskChanges' order (``apply`` lists the new values so).
_EDITABLE = tuple(field.name for field in fields(TaskChanges))


def _given_or(value: Any, current: Any, normalize: Callable[[Any], Any]) -> Any:
    """The edit's value, checked by its rule; the current one when the edit leaves it."""
    return current if isinstance(value, _Unset) else normalize(value)


def _anchored(
    rule: RecurrenceRule | None, due_date: date | None, current: Recurrence | None
) -> Recurrence | None:
    """The recurrence a task has once ``rule`` is set: the current one when the rule is the
    same (its series goes on), else a series starting on the due date, which it needs."""
    if rule is None:
        return None
    if due_date is None:
        raise InvalidTaskField("recurrence", "needs a due_date (the first date of the series)")
    if isinstance(rule, Recurrence):
        return rule
    if current is not None and rule.same_rule(current):
        return current
    return Recurrence(rule.frequency, rule.interval, starts_on=due_date)
