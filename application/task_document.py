"""The task document: one JSON shape for a task wherever it leaves the aggregate — HTTP
bodies, ``todo-admin tasks list --json``, export files and stored idempotency responses.

``task_document`` is what clients see (``entrypoints.http.schemas.TaskOut`` documents it),
its ``version`` included: what ``If-Match`` names (as the ``ETag``, ``"<version>"``), so a
task from a list can be edited conditionally without reading it first. ``task_record`` is
what is kept (export files, stored responses): the same fields without the owner, which is
kept beside it. ``read_task_record`` reads a record back, checking each field's JSON shape;
the aggregate checks the rules.

Documents hold UUIDs, dates and UTC datetimes as such; ``json_value`` says how JSON writes
them (UUIDs as strings, dates as ``YYYY-MM-DD``, timestamps as RFC 3339 with ``Z``), for the
standard library's encoder. The HTTP API's orjson encoder writes the same
(``entrypoints.presentation.dump_json``; a test holds the two equal).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from application.ports import TaskSummary
from domain.errors import InvalidTaskField
from domain.fields import Priority
from domain.recurrence import Frequency, Recurrence, RecurrenceRule
from domain.task import Task, TaskRecord


def task_document(task: Task) -> dict[str, Any]:
    """The task as clients see it (HTTP, ``tasks list --json``, MCP)."""
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": task.due_date,
        "priority": task.priority.value,
        "tags": list(task.tags),
        "remind_at": task.remind_at,
        "recurrence": recurrence_document(task.recurrence),
        "user_id": task.user_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "completed_at": task.completed_at,
        "next_task_id": task.next_task_id,
        "version": task.version,
    }


def recurrence_document(recurrence: Recurrence | None) -> dict[str, Any] | None:
    if recurrence is None:
        return None
    return {
        "frequency": recurrence.frequency.value,
        "interval": recurrence.interval,
        "starts_on": recurrence.starts_on,
    }


def summary_document(summary: TaskSummary) -> dict[str, Any]:
    """A user's counts (``GET /api/tasks/summary``, the MCP ``task_summary`` tool)."""
    return {
        "total": summary.total,
        "pending": summary.pending,
        "completed": summary.completed,
        "overdue": summary.overdue,
        "due_today": summary.due_today,
        "by_priority": {priority.value: count for priority, count in summary.by_priority.items()},
    }


def task_record(task: Task) -> dict[str, Any]:
    """The task as it is kept, next to its owner."""
    record = task_document(task)
    del record["user_id"]
    return record


def json_value(value: object) -> str:
    """A document value JSON has no type for, as a string (``json.dumps(default=...)``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not part of a task document")


_EXPECTED = {
    "id": "must be a UUID string or null",
    "title": "must be a string",
    "description": "must be a string or null",
    "completed": "must be true or false",
    "due_date": "must be a date in YYYY-MM-DD format or null",
    "created_at": "must be an RFC 3339 timestamp with an offset (e.g. 2025-01-31T12:00:00Z)",
    "updated_at": "must be an RFC 3339 timestamp with an offset (e.g. 2025-01-31T12:00:00Z)",
    "version": "must be a positive integer",
    "priority": "must be one of none, low, medium, high",
    "tags": "must be an array of strings",
    "remind_at": "must be an RFC 3339 timestamp with an offset, or null",
    "recurrence": "must be null or an object with frequency, interval and starts_on",
    "completed_at": "must be an RFC 3339 timestamp with an offset, or null",
    "next_task_id": "must be a UUID string or null",
}
RECORD_FIELDS = frozenset(_EXPECTED)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def expected_value(field: str) -> str:
    """What a record's ``field`` must hold, in words."""
    return _EXPECTED[field]


def read_task_record(data: Mapping[str, Any]) -> TaskRecord:
    """A record from JSON values. A field that is unknown or of the wrong shape raises
    ``InvalidTaskField``; a missing one takes its default (``title`` is required)."""
    for name in data:
        if name not in RECORD_FIELDS:
            raise InvalidTaskField(name, "is not a field of a task record")
    if "title" not in data:
        raise InvalidTaskField("title", "is required")
    return TaskRecord(
        title=_checked(data, "title", lambda v: isinstance(v, str)),
        description=_checked(data, "description", lambda v: v is None or isinstance(v, str)),
        completed=_checked(data, "completed", lambda v: isinstance(v, bool), False),
        version=_checked(data, "version", _is_version, 1),
        id=_parsed(data, "id", _uuid),
        due_date=_parsed(data, "due_date", _date),
        created_at=_parsed(data, "created_at", _timestamp),
        updated_at=_parsed(data, "updated_at", _timestamp),
        priority=Priority(_checked(data, "priority", _is_priority, Priority.NONE.value)),
        tags=tuple(_checked(data, "tags", _is_tag_list, ())),
        remind_at=_parsed(data, "remind_at", _timestamp),
        recurrence=read_recurrence(data.get("recurrence")),
        completed_at=_parsed(data, "completed_at", _timestamp),
        next_task_id=_parsed(data, "next_task_id", _uuid),
    )


def read_task(data: Mapping[str, Any], *, owner: str) -> Task:
    """A task kept as ``task_record`` (every field present), back as the aggregate."""
    record = read_task_record(data)
    created_at, updated_at = record.created_at, record.updated_at
    if created_at is None or updated_at is None:
        raise InvalidTaskField("created_at" if created_at is None else "updated_at", "is required")
    return Task.restore(
        record,
        task_id=record.id,
        user_id=owner,
        created_at=created_at,
        updated_at=updated_at,
        version=record.version,
        completed_at=record.completed_at,
        next_task_id=record.next_task_id,
    )


def _checked(
    data: Mapping[str, Any], name: str, valid: Callable[[Any], bool], default: Any = None
) -> Any:
    value = data.get(name, default)
    if not valid(value):
        raise InvalidTaskField(name, _EXPECTED[name])
    return value


def _parsed(data: Mapping[str, Any], name: str, parse: Callable[[str], Any]) -> Any:
    value = data.get(name)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise TypeError(name)
        return parse(value)
    except (TypeError, ValueError, OverflowError) as error:
        raise InvalidTaskField(name, _EXPECTED[name]) from error


def _is_priority(value: object) -> bool:
    return isinstance(value, str) and value in Priority.__members__.values()


def _is_tag_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(tag, str) for tag in value)


def read_recurrence(value: object) -> RecurrenceRule | None:
    """``{frequency, interval}`` (a rule to anchor at the due date) or, as kept,
    ``{frequency, interval, starts_on}``."""
    if value is None:
        return None
    wrong = InvalidTaskField("recurrence", _EXPECTED["recurrence"])
    if not isinstance(value, Mapping) or not {"frequency", "interval"} <= set(value):
        raise wrong
    if not set(value) <= {"frequency", "interval", "starts_on"}:
        raise wrong
    frequency, interval = value["frequency"], value["interval"]
    if frequency not in Frequency.__members__.values() or not isinstance(interval, int):
        raise wrong
    starts_on = value.get("starts_on")
    if starts_on is None:
        return RecurrenceRule(Frequency(frequency), interval)
    try:
        return Recurrence(Frequency(frequency), interval, _date(starts_on))
    except (TypeError, ValueError) as error:
        raise wrong from error


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def _date(value: str) -> date:
    if not ISO_DATE.fullmatch(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def _timestamp(value: str) -> datetime:
    if not RFC3339.fullmatch(value):
        raise ValueError(value)
    return datetime.fromisoformat(value.upper()).astimezone(UTC)
