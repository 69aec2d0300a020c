"""Aggregate <-> row conversion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from adapters.ordering import search_key, title_sort_key
from adapters.sql.tables import TaskRow
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


def row_values(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "user_id": task.user_id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": task.due_date,
        "created_at": as_utc(task.created_at),
        "updated_at": as_utc(task.updated_at),
        "version": task.version,
        "title_key": title_sort_key(task.title),
        "description_key": search_key(task.description) if task.description else None,
    }


_TASKS: sa.Table = TaskRow.__table__  # type: ignore[attr-defined]
# What a read selects, in the order ``to_task`` unpacks (not the derived key columns).
TASK_COLUMNS = (
    _TASKS.c.id,
    _TASKS.c.user_id,
    _TASKS.c.title,
    _TASKS.c.description,
    _TASKS.c.completed,
    _TASKS.c.due_date,
    _TASKS.c.created_at,
    _TASKS.c.updated_at,
    _TASKS.c.version,
)


def to_task(row: Sequence[Any]) -> Task:
    """From a result row of ``TASK_COLUMNS`` (unpacked by position: the hot path of lists)."""
    task_id, user_id, title, description, completed, due_date, created, updated, version = row
    return Task(
        id=task_id,
        user_id=user_id,
        title=title,
        description=description,
        completed=completed,
        due_date=due_date,
        created_at=as_utc(created),
        updated_at=as_utc(updated),
        version=version,
    )
