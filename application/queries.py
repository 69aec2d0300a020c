"""How a list of tasks is asked for: filter, sort, order, search and page position."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from application.errors import InvalidQuery
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


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


DEFAULT_ORDER = {
    SortField.CREATED: SortOrder.DESC,
    SortField.UPDATED: SortOrder.DESC,
    SortField.TITLE: SortOrder.ASC,
    SortField.DUE_DATE: SortOrder.ASC,
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
    orders; ties break on the id in the same direction, so the order is total."""

    status: StatusFilter = StatusFilter.ALL
    sort: SortField = SortField.CREATED
    order: SortOrder | None = None
    limit: int = DEFAULT_PAGE_SIZE
    search: str | None = None
    after: TaskPosition | None = None

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise InvalidQuery("limit", "must be at least 1")
        if self.search is not None and len(self.search) > MAX_SEARCH_LENGTH:
            raise InvalidQuery("q", f"must be at most {MAX_SEARCH_LENGTH} characters")
        if self.search is not None and "\x00" in self.search:
            raise InvalidQuery("q", "must not contain NUL characters")
        if self.search is not None and not _encodable(self.search):
            raise InvalidQuery("q", "must not contain unpaired surrogates")

    @property
    def direction(self) -> SortOrder:
        return self.order or DEFAULT_ORDER[self.sort]

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
    return task.due_date


def position_of(task: Task, sort: SortField) -> TaskPosition:
    return TaskPosition(value=sort_value(task, sort), task_id=task.id)
