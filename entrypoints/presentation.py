"""How a task looks to the outside — the HTTP API's body and ``todo-admin tasks list --json``
— in one place (``entrypoints.http.schemas.TaskOut`` documents the same shape)."""

from __future__ import annotations

from typing import Any

import orjson

from domain.task import Task


def task_document(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
        "due_date": task.due_date,
        "user_id": task.user_id,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def dump_json(document: Any) -> bytes:
    """JSON bytes; UUIDs as strings, dates as ``YYYY-MM-DD``, timestamps (UTC) as RFC 3339
    with a ``Z``."""
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)
