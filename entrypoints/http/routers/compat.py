"""``/api/{user_id}/tasks``: the widespread "Phase II" route shape, on the same use cases.

The path's ``user_id`` must be the token's ``sub`` (403 otherwise); it never widens what the
caller can reach.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, Request, Response, status

from application.use_cases import (
    CreateTask,
    DeleteTask,
    GetTask,
    ListTasks,
    ToggleTaskCompletion,
    UpdateTask,
)
from entrypoints.http.preconditions import (
    CREATE_DESCRIPTION,
    IdempotencyKeyHeader,
    IfMatch,
    parse_idempotency_key,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.routers.common import (
    ListParams,
    PathOwner,
    expected_version_for,
    list_response,
    task_response,
)
from entrypoints.http.schemas import TaskCreate, TaskOut, TaskReplace

router = APIRouter(
    prefix="/api/{user_id}/tasks",
    tags=["tasks (compatibility routes)"],
    responses=documented_errors(401, 403, 503),
)


@router.get(
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
@inject
async def list_user_tasks(
    request: Request,
    identity: PathOwner,
    params: Annotated[ListParams, Depends()],
    use_case: ListTasks = Depends(Provide["list_tasks"]),
) -> Response:
    return await list_response(request, identity.user_id, params, use_case)


@router.post(
    "",
    summary="Create a task",
    description=CREATE_DESCRIPTION,
    status_code=status.HTTP_201_CREATED,
    response_model=TaskOut,
    responses=documented_errors(400, 409, 413, 422),
)
@inject
async def create_user_task(
    body: TaskCreate,
    identity: PathOwner,
    idempotency_key: IdempotencyKeyHeader = None,
    use_case: CreateTask = Depends(Provide["create_task"]),
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
@inject
async def get_user_task(
    task_id: uuid.UUID,
    identity: PathOwner,
    use_case: GetTask = Depends(Provide["get_task"]),
) -> Response:
    return task_response(await use_case.execute(identity.user_id, task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task's editable fields",
    description="`title` is required; omitted fields keep their value; `null` clears.",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
@inject
async def replace_user_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: PathOwner,
    if_match: IfMatch = None,
    use_case: UpdateTask = Depends(Provide["update_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
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
@inject
async def delete_user_task(
    task_id: uuid.UUID,
    identity: PathOwner,
    if_match: IfMatch = None,
    use_case: DeleteTask = Depends(Provide["delete_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
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
@inject
async def toggle_user_task(
    task_id: uuid.UUID,
    identity: PathOwner,
    if_match: IfMatch = None,
    use_case: ToggleTaskCompletion = Depends(Provide["toggle_task_completion"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    task = await use_case.execute(identity.user_id, task_id, expected_version=version)
    return task_response(task)
