"""Task ⇄ row, derived from the aggregate: every field of ``Task`` is the ``tasks`` column of
the same name, so a new field needs its column and nothing here — unless its value is not
one the driver stores as is (``_STORED``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from adapters.ordering import search_key, title_sort_key
from adapters.sql.tables import TASKS
from application.queries import priority_sort_key
from application.task_document import read_recurrence, recurrence_document
from domain.fields import PRIORITY_BY_RANK, tag_key
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
# Columns that are no field of the task: sort and search keys, the same on every store.
_DERIVED: dict[str, Callable[[Task], object]] = {
    "title_key": lambda task: title_sort_key(task.title),
    "description_key": lambda task: search_key(task.description) if task.description else None,
    "priority_key": priority_sort_key,
}


# Fields stored in another form than the aggregate's: (to the column, back from it).
_STORED: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "priority": (lambda priority: priority.rank, PRIORITY_BY_RANK.__getitem__),
    "tags": (list, tuple),
    # As in the task document; the engines write its dates as the codec does (json_value).
    "recurrence": (recurrence_document, read_recurrence),
}
_READ_BACK = tuple(
    (position, _STORED[column.name][1])
    for position, column in enumerate(TASK_COLUMNS)
    if column.name in _STORED
)
# What an update may change: everything but the task's identity, owner and creation time.
UPDATABLE_COLUMNS = tuple(
    column.name for column in TASKS.c if column.name not in ("id", "user_id", "created_at")
)


def row_values(task: Task) -> dict[str, Any]:
    """Every column's value for ``task``, by column name."""
    values: dict[str, Any] = {name: getattr(task, name) for name in _FIELDS}
    for _, name in _TIMESTAMPS:
        if values[name] is not None:
            values[name] = as_utc(values[name])
    for name, (store, _) in _STORED.items():
        values[name] = store(values[name])
    for name, derive in _DERIVED.items():
        values[name] = derive(task)
    return values


def to_task(row: Sequence[Any]) -> Task:
    """From a result row of ``TASK_COLUMNS`` (by position: the hot path of lists)."""
    values = list(row)
    for position, _ in _TIMESTAMPS:
        if values[position] is not None:
            values[position] = as_utc(values[position])
    for position, read in _READ_BACK:
        values[position] = read(values[position])
    return Task(*values)


def tag_rows(task: Task) -> list[dict[str, Any]]:
    """The ``task_tags`` rows of a task, in the table's column order."""
    created_at = as_utc(task.created_at)
    return [
        {
            "task_id": task.id,
            "name_key": tag_key(tag),
            "user_id": task.user_id,
            "name": tag,
            "created_at": created_at,
        }
        for tag in task.tags
    ]
