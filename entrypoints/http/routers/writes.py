"""The task writes both URL shapes serve, each endpoint reading its shape's own body model
(strict on ``/api/tasks``, lenient on the compatibility shape: schemas.py): once the body is
parsed, what they do is the same, here."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request, Response, status

from application.use_cases import CreateTask, ToggleTaskCompletion, UpdateTask
from domain.task import NewTask, TaskChanges
from entrypoints.http.preconditions import (
    CREATE_DESCRIPTION,
    parse_idempotency_key,
    parse_if_match,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.responses import path_for_headers, task_response
from entrypoints.http.schemas import TaskOut

# How each shape's creates and edits (PUT, PATCH, toggle) are documented.
CREATE: dict[str, Any] = {
    "summary": "Create a task",
    "description": CREATE_DESCRIPTION,
    "status_code": status.HTTP_201_CREATED,
    "response_model": TaskOut,
    "responses": documented_errors(400, 409, 410, 413, 422),
}
EDIT: dict[str, Any] = {
    "response_model": TaskOut,
    "responses": documented_errors(400, 404, 409, 412, 413, 422),
}
COMPLETE_DESCRIPTION = (
    'Without a body, flips `completed`. With `{"completed": true|false}`, sets it: sending '
    "it again changes nothing (use this when your view of the task may be stale)."
)


async def create(
    request: Request, use_case: CreateTask, owner: str, new: NewTask, idempotency_key: str | None
) -> Response:
    key = parse_idempotency_key(idempotency_key)
    # The collection's own path, on either URL shape; worked out before the write, so
    # nothing about the response can fail once the task is committed.
    collection = path_for_headers(request)
    task = await use_case.execute(owner, new, idempotency_key=key)
    return task_response(task, 201, Location=f"{collection}/{task.id}")


async def update(
    use_case: UpdateTask, owner: str, task_id: uuid.UUID, changes: TaskChanges, if_match: str | None
) -> Response:
    """PUT and PATCH differ only in what their body may leave out."""
    accepted = parse_if_match(if_match)
    return task_response(
        await use_case.execute(owner, task_id, changes, accepted_versions=accepted)
    )


async def complete(
    toggle: ToggleTaskCompletion,
    set_fields: UpdateTask,
    owner: str,
    task_id: uuid.UUID,
    changes: TaskChanges | None,
    if_match: str | None,
) -> Response:
    """``…/toggle`` and ``…/complete``: a body's ``completed`` is set like any edit (so a
    recurring task continues its series once, however often it is sent); without one,
    ``completed`` is flipped."""
    if changes is not None:
        return await update(set_fields, owner, task_id, changes, if_match)
    accepted = parse_if_match(if_match)
    return task_response(await toggle.execute(owner, task_id, accepted_versions=accepted))
