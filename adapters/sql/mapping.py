"""Aggregate <-> row conversion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.ordering import search_key, title_sort_key
from adapters.sql.tables import TaskRow
from domain.task import Task


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive timestamps (stored as UTC); PostgreSQL aware ones."""
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


def to_task(row: TaskRow) -> Task:
    return Task(
        id=row.id,
        user_id=row.user_id,
        title=row.title,
        description=row.description,
        completed=row.completed,
        due_date=row.due_date,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        version=row.version,
    )
