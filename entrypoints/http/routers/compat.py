"""``/api/{user_id}/tasks``: the widespread "Phase II" route shape, for frontends written for
that spec to run unchanged. It serves the list, read and delete endpoints of
``routers.tasks`` (registered there on both shapes) and, here, its own writes, which read
lenient bodies (schemas.py); ``CompatRoute`` reads its query in the spec family's words
(lenient.py). The path's ``user_id`` must be the token's ``sub`` (403 otherwise, checked by
the router for every route), so it never widens what the caller can reach.

PUT here is a partial edit like PATCH (the spec's frontends send what changed, e.g. a
kanban board's ``{completed, priority}``); ``PATCH …/complete`` toggles, or sets
``completed`` when the body names it.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from entrypoints.http.dependencies import (
    CreateTaskUseCase,
    ToggleTaskCompletionUseCase,
    UpdateTaskUseCase,
)
from entrypoints.http.lenient import CompatRoute
from entrypoints.http.preconditions import IdempotencyKeyHeader, IfMatch
from entrypoints.http.problems import documented_errors
from entrypoints.http.routers import writes
from entrypoints.http.schemas import CompatCompletionIn, CompatTaskCreate, CompatTaskEdit
from entrypoints.http.security import CurrentUser, check_path_owner

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks (compatibility routes)"],
    dependencies=[Depends(check_path_owner)],
    responses=documented_errors(401, 403, 429, 503),
    route_class=CompatRoute,
)


def operation_id(name: str) -> str:
    """This shape's id for an operation: ``compat`` and the operation's name, the one it
    has on ``/api/tasks`` where it has one (``listTasks`` → ``compatListTasks``), so ids
    stay unique and a generated client's names say which shape they call."""
    return f"compat{name[:1].upper()}{name[1:]}"


@router.patch(
    "/{task_id:uuid}/complete",
    operation_id=operation_id("toggleTask"),
    summary="Toggle a task's completion, or set it",
    description=writes.COMPLETE_DESCRIPTION
    + " A body without `completed` toggles, as the spec's backends do.",
    **writes.EDIT,
)
async def toggle_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    toggle: ToggleTaskCompletionUseCase,
    set_fields: UpdateTaskUseCase,
    body: CompatCompletionIn | None = None,
    if_match: IfMatch = None,
) -> Response:
    changes = None if body is None else body.changes()
    return await writes.complete(toggle, set_fields, identity.user_id, task_id, changes, if_match)


@router.post("", operation_id=operation_id("createTask"), **writes.CREATE)
async def create_task(
    request: Request,
    body: CompatTaskCreate,
    identity: CurrentUser,
    use_case: CreateTaskUseCase,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    return await writes.create(
        request, use_case, identity.user_id, body.new_task(), idempotency_key
    )


# PUT is a partial edit here: "update", not "replace" (the strict shape's PUT).
@router.put(
    "/{task_id:uuid}",
    operation_id=operation_id("updateTask"),
    summary="Change some of a task's fields",
    **writes.EDIT,
)
@router.patch(
    "/{task_id:uuid}",
    operation_id=operation_id("patchTask"),
    summary="Change some of a task's fields",
    **writes.EDIT,
)
async def edit_task(
    task_id: uuid.UUID,
    body: CompatTaskEdit,
    identity: CurrentUser,
    use_case: UpdateTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    return await writes.update(use_case, identity.user_id, task_id, body.changes(), if_match)
