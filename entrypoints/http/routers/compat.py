"""``/api/{user_id}/tasks``: the widespread "Phase II" route shape, on the same use cases.

The path's ``user_id`` must be the token's ``sub`` (403 otherwise); it never widens what the
caller can reach.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from entrypoints.http.dependencies import (
    CreateTaskUseCase,
    DeleteTaskUseCase,
    GetTaskUseCase,
    ListTasksUseCase,
    ToggleTaskCompletionUseCase,
    UpdateTaskUseCase,
)
from entrypoints.http.preconditions import (
    CREATE_DESCRIPTION,
    IdempotencyKeyHeader,
    IfMatch,
    parse_idempotency_key,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.routers.common import (
    ListQuery,
    PathOwner,
    expected_version_for,
    list_response,
    task_response,
)
from entrypoints.http.schemas import TaskCreate, TaskOut, TaskReplace
from entrypoints.http.strict import StrictRoute

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks (compatibility routes)"],
    responses=documented_errors(401, 403, 503),
    route_class=StrictRoute,
)


@router.get(
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
async def list_user_tasks(
    request: Request, identity: PathOwner, query: ListQuery, use_case: ListTasksUseCase
) -> Response:
    return await list_response(request, identity.user_id, query, use_case)


@router.post(
    "",
    summary="Create a task",
    description=CREATE_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=documented_errors(400, 409, 413, 422),
)
async def create_user_task(
    body: TaskCreate,
    identity: PathOwner,
    use_case: CreateTaskUseCase,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    task = await use_case.execute(
        identity.user_id, body.new_task(), idempotency_key=parse_idempotency_key(idempotency_key)
    )
    return task_response(task, 201, Location=f"/api/{identity.user_id}/tasks/{task.id}")


@router.get(
    "/{task_id}",
    summary="Get one task",
    response_model=TaskOut,
    responses=documented_errors(404, 422),
)
async def get_user_task(
    task_id: uuid.UUID, identity: PathOwner, use_case: GetTaskUseCase
) -> Response:
    return task_response(await use_case.execute(identity.user_id, task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
async def replace_user_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: PathOwner,
    use_case: UpdateTaskUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    task = await use_case.execute(
        identity.user_id, task_id, body.changes(), expected_version=version
    )
    return task_response(task)


@router.delete(
    "/{task_id}",
    summary="Delete a task",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=documented_errors(400, 404, 412, 422),
)
async def delete_user_task(
    task_id: uuid.UUID,
    identity: PathOwner,
    use_case: DeleteTaskUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    await use_case.execute(identity.user_id, task_id, expected_version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/{task_id}/complete",
    summary="Toggle a task's completion",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 422),
)
async def toggle_user_task(
    task_id: uuid.UUID,
    identity: PathOwner,
    use_case: ToggleTaskCompletionUseCase,
    get_task: GetTaskUseCase,
    if_match: IfMatch = None,
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    task = await use_case.execute(identity.user_id, task_id, expected_version=version)
    return task_response(task)
