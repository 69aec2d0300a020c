"""How a list of tasks is asked for: filter, sort, order, search and page position."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cached_property

from application.errors import InvalidQuery
from domain.fields import Priority, tag_key
from domain.task import Task

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 100
MAX_SEARCH_LENGTH = 200


class StatusFilter(StrEnum):
    ALL = "all"
    PENDING = "pending"
    COMPLETED = "completed"


class SortField(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    TITLE = "title"
    DUE_DATE = "due_date"
    PRIORITY = "priority"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


DEFAULT_ORDER = {
    SortField.CREATED: SortOrder.DESC,
    SortField.UPDATED: SortOrder.DESC,
    SortField.TITLE: SortOrder.ASC,
    SortField.DUE_DATE: SortOrder.ASC,
    SortField.PRIORITY: SortOrder.DESC,
}

SortValue = datetime | date | str | None


@dataclass(frozen=True)
class TaskPosition:
    """Where a page ended: the last task's sort value and id (the keyset)."""

    value: SortValue
    task_id: uuid.UUID


@dataclass(frozen=True)
class TaskQuery:
    """A list request. Titles sort case-insensitively; due dates sort with nulls last in both
    orders; priorities sort by rank, then by creation time; ties break on the id in the same
    direction, so the order is total.

    Filters combine: ``priorities`` (any of them), ``tags`` (all of them, ignoring case),
    ``due_from``/``due_to`` (inclusive; tasks without a due date never match) and
    ``remind_to`` (a reminder at or before it)."""

    status: StatusFilter = StatusFilter.ALL
    sort: SortField = SortField.CREATED
    order: SortOrder | None = None
    limit: int = DEFAULT_PAGE_SIZE
    search: str | None = None
    after: TaskPosition | None = None
    priorities: frozenset[Priority] | None = None
    tags: tuple[str, ...] = ()
    due_from: date | None = None
    due_to: date | None = None
    remind_to: datetime | None = None

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InvalidQuery("limit", "must be at least 1")
        if self.search is not None and len(self.search) > MAX_SEARCH_LENGTH:
            raise InvalidQuery("q", f"must be at most {MAX_SEARCH_LENGTH} characters")
        if self.search is not None and "\x00" in self.search:
            raise InvalidQuery("q", "must not contain NUL characters")
        if self.search is not None and not _encodable(self.search):
            raise InvalidQuery("q", "must not contain unpaired surrogates")
        if self.due_from and self.due_to and self.due_from > self.due_to:
            raise InvalidQuery("due_from", "must not be after due_to")
        if self.remind_to is not None and self.remind_to.utcoffset() is None:
            raise InvalidQuery("remind_to", "must be a date-time with an offset")

    @property
    def direction(self) -> SortOrder:
        return self.order or DEFAULT_ORDER[self.sort]

    @cached_property
    def tag_keys(self) -> frozenset[str]:
        """The tags asked for, as compared (ignoring case); the stores ask for it per task."""
        return frozenset(tag_key(tag) for tag in self.tags)

    def filters(self) -> tuple[object, ...]:
        """Everything that decides which tasks are listed: a cursor is only good for these."""
        return (
            self.status.value,
            self.search_term,
            sorted(p.value for p in self.priorities) if self.priorities is not None else None,
            sorted(self.tag_keys),
            self.due_from and self.due_from.isoformat(),
            self.due_to and self.due_to.isoformat(),
            self.remind_to and self.remind_to.timestamp(),
        )

    @property
    def search_term(self) -> str | None:
        """The search text, or ``None`` when blank (a blank search matches everything)."""
        if self.search is None or not self.search.strip():
            return None
        return self.search


def _encodable(text: str) -> bool:
    """Lone surrogates cannot be encoded, so no database driver can send them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def sort_value(task: Task, sort: SortField) -> SortValue:
    """The value of ``task`` that ``sort`` orders by (as stored, before any case folding)."""
    if sort is SortField.CREATED:
        return task.created_at
    if sort is SortField.UPDATED:
        return task.updated_at
    if sort is SortField.TITLE:
        return task.title
    if sort is SortField.PRIORITY:
        return priority_sort_key(task)
    return task.due_date


def priority_sort_key(task: Task) -> str:
    """The priority's rank, then the creation time in UTC as fixed-width digits: one string
    that sorts by priority, and among equal priorities by age."""
    c = task.created_at.astimezone(UTC)
    moment = f"{c.year:04d}{c.month:02d}{c.day:02d}{c.hour:02d}{c.minute:02d}{c.second:02d}"
    return f"{task.priority.rank}{moment}{c.microsecond:06d}"


def position_of(task: Task, sort: SortField) -> TaskPosition:
    return TaskPosition(value=sort_value(task, sort), task_id=task.id)


def parse_priority_list(text: str) -> frozenset[Priority]:
    """``high,medium``: any of these priorities, the way a query string or an option lists
    them (names in any case, spaces around them ignored)."""
    names = [item.strip() for item in text.split(",")]
    for name in names:
        if name.lower() not in Priority.__members__.values():
            raise InvalidQuery("priority", f"{name!r} is not one of none, low, medium, high")
    return frozenset(Priority(name.lower()) for name in names)


def parse_tag_list(text: str) -> tuple[str, ...]:
    """``home,Work``: the tags a task must all carry (compared ignoring case). Blank items
    are ignored; control characters are refused. A tag no task carries (a 60-character
    one, say) simply matches nothing."""
    tags = tuple(tag for tag in (item.strip() for item in text.split(",")) if tag)
    for tag in tags:
        if any(unicodedata.category(char) in ("Cc", "Cs") for char in tag):
            raise InvalidQuery("tag", f"{tag!r}: must not contain control characters")
    return tags
