"""The Task aggregate: one user's todo item and the rules that keep it valid."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from domain.errors import InvalidTaskField
from domain.text import check_text

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 1000
USER_ID_MAX_LENGTH = 255


def normalize_title(title: str) -> str:
    """Trim a title and check it is 1-200 characters of text."""
    trimmed = title.strip()
    if not trimmed:
        raise InvalidTaskField("title", "must not be blank")
    return check_text("title", trimmed, max_length=TITLE_MAX_LENGTH, multiline=False)


def normalize_description(description: str | None) -> str | None:
    """Check a description is at most 1000 characters of text; ``None`` clears it."""
    if description is None:
        return None
    return check_text("description", description, max_length=DESCRIPTION_MAX_LENGTH, multiline=True)


def check_user_id(user_id: str) -> str:
    """An owner id is the identity provider's opaque, non-empty subject."""
    if not user_id or not user_id.strip():
        raise InvalidTaskField("user_id", "must not be empty")
    return check_text("user_id", user_id, max_length=USER_ID_MAX_LENGTH, multiline=False)


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


@dataclass(frozen=True)
class NewTask:
    """What a client sets when it creates a task; the rest comes from the aggregate."""

    title: str
    description: str | None = None
    completed: bool = False
    due_date: date | None = None

    def values(self) -> dict[str, Any]:
        """These fields by name, as ``Task.create`` takes them (a ``TaskRecord`` gives only
        these, not its id, timestamps and version)."""
        return {field.name: getattr(self, field.name) for field in fields(NewTask)}


@dataclass(frozen=True)
class TaskRecord(NewTask):
    """A task kept outside the service (an export, a stored response), for ``Task.restore``.
    ``None`` means "not given": a new id, or a timestamp the import chooses."""

    id: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1


@dataclass(frozen=True)
class TaskChanges:
    """A partial edit: only the fields that are set are changed.

    ``UNSET`` fields are left alone; ``None`` for description or due date clears it.
    """

    title: str | _Unset = UNSET
    description: str | _Unset | None = UNSET
    completed: bool | _Unset = UNSET
    due_date: date | _Unset | None = UNSET


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
    ) -> Task:
        """Bring back a task kept elsewhere (an export, a backup): its fields (``new``), id,
        timestamps and version (``task_id=None``: a new id). Every rule of ``create``
        holds, and the history must be possible: timezone-aware timestamps, ``updated_at``
        not before ``created_at``, ``version`` ≥ 1."""
        for name, moment in (("created_at", created_at), ("updated_at", updated_at)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise InvalidTaskField(name, "must be timezone-aware")
        if updated_at < created_at:
            raise InvalidTaskField("updated_at", "must not be before created_at")
        if isinstance(version, bool) or version < 1:
            raise InvalidTaskField("version", "must be a positive integer")
        task = cls.create(user_id=user_id, now=created_at, task_id=task_id, **new.values())
        task.updated_at = updated_at
        task.version = version
        return task

    def apply(self, changes: TaskChanges, now: datetime) -> bool:
        """Apply a partial edit; all fields are checked before any is changed.

        Returns whether anything changed. A real change bumps ``version`` once and
        moves ``updated_at``; an edit that sets the values already there changes nothing.
        """
        _require_aware(now)
        title = self.title if isinstance(changes.title, _Unset) else normalize_title(changes.title)
        description = (
            self.description
            if isinstance(changes.description, _Unset)
            else normalize_description(changes.description)
        )
        completed = self.completed if isinstance(changes.completed, _Unset) else changes.completed
        due_date = self.due_date if isinstance(changes.due_date, _Unset) else changes.due_date
        new_values = (title, description, completed, due_date)
        if new_values == (self.title, self.description, self.completed, self.due_date):
            return False
        self.title, self.description, self.completed, self.due_date = new_values
        self.updated_at = max(now, self.updated_at)
        self.version += 1
        return True

    def toggle_completed(self, now: datetime) -> None:
        """Flip the completion flag (the compatibility API's ``/complete`` route)."""
        self.apply(TaskChanges(completed=not self.completed), now)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)
