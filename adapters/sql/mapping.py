"""Task ⇄ row, derived from the aggregate: every field of ``Task`` is the ``tasks`` column of
the same name, so a new field needs its column and nothing here."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from adapters.ordering import search_key, title_sort_key
from adapters.sql.tables import TASKS
from domain.task import Task

_UTC_ZONES = (UTC, ZoneInfo("Etc/UTC"), ZoneInfo("UTC"))


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive timestamps (stored as UTC); PostgreSQL aware ones, in the
    session's time zone (UTC on a default server: then there is nothing to convert)."""
    if moment.tzinfo in _UTC_ZONES:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


_FIELDS = tuple(field.name for field in dataclasses.fields(Task))
# What a read selects: the task's fields in the dataclass's order, so a row is ``Task(*row)``.
TASK_COLUMNS = tuple(TASKS.c[name] for name in _FIELDS)
_TIMESTAMPS = tuple(
    (position, column.name)
    for position, column in enumerate(TASK_COLUMNS)
    if isinstance(column.type, sa.DateTime)
)
# Columns that are no field of the task: case-folded copies for sorting and searching the
# same way on every store.
_DERIVED: dict[str, Callable[[Task], object]] = {
    "title_key": lambda task: title_sort_key(task.title),
    "description_key": lambda task: search_key(task.description) if task.description else None,
}
# What an update may change: everything but the task's identity, owner and creation time.
UPDATABLE_COLUMNS = tuple(
    column.name for column in TASKS.c if column.name not in ("id", "user_id", "created_at")
)


def row_values(task: Task) -> dict[str, Any]:
    """Every column's value for ``task``, by column name."""
    values: dict[str, Any] = {name: getattr(task, name) for name in _FIELDS}
    for _, name in _TIMESTAMPS:
        values[name] = as_utc(values[name])
    for name, derive in _DERIVED.items():
        values[name] = derive(task)
    return values


def to_task(row: Sequence[Any]) -> Task:
    """From a result row of ``TASK_COLUMNS`` (by position: the hot path of lists)."""
    values = list(row)
    for position, _ in _TIMESTAMPS:
        values[position] = as_utc(values[position])
    return Task(*values)
