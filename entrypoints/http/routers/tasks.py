"""``/api/tasks``: the caller's tasks."""

from __future__ import annotations

import uuid
from typing import Annotated

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends, Request, Response, status

from application.use_cases import CreateTask, DeleteTask, GetTask, ListTasks, UpdateTask
from entrypoints.http.preconditions import (
    CREATE_DESCRIPTION,
    IdempotencyKeyHeader,
    IfMatch,
    parse_idempotency_key,
)
from entrypoints.http.problems import documented_errors
from entrypoints.http.routers.common import (
    CurrentUser,
    ListParams,
    expected_version_for,
    list_response,
    task_response,
)
from entrypoints.http.schemas import TaskCreate, TaskOut, TaskPatch, TaskReplace

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=documented_errors(401, 503))


@router.get(
    "",
    summary="List your tasks",
    response_model=list[TaskOut],
    responses=documented_errors(422),
)
@inject
async def list_tasks(
    request: Request,
    identity: CurrentUser,
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
async def create_task(
    body: TaskCreate,
    identity: CurrentUser,
    idempotency_key: IdempotencyKeyHeader = None,
    use_case: CreateTask = Depends(Provide["create_task"]),
) -> Response:
    task = await use_case.execute(
        identity.user_id, body.new_task(), idempotency_key=parse_idempotency_key(idempotency_key)
    )
    return task_response(task, 201, Location=f"/api/tasks/{task.id}")


@router.get(
    "/{task_id}",
    summary="Get one task",
    response_model=TaskOut,
    responses=documented_errors(404, 422),
)
@inject
async def get_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
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
async def replace_task(
    task_id: uuid.UUID,
    body: TaskReplace,
    identity: CurrentUser,
    if_match: IfMatch = None,
    use_case: UpdateTask = Depends(Provide["update_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    task = await use_case.execute(
        identity.user_id, task_id, body.changes(), expected_version=version
    )
    return task_response(task)


@router.patch(
    "/{task_id}",
    summary="Change some of a task's fields",
    response_model=TaskOut,
    responses=documented_errors(400, 404, 409, 412, 413, 422),
)
@inject
async def patch_task(
    task_id: uuid.UUID,
    body: TaskPatch,
    identity: CurrentUser,
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
async def delete_task(
    task_id: uuid.UUID,
    identity: CurrentUser,
    if_match: IfMatch = None,
    use_case: DeleteTask = Depends(Provide["delete_task"]),
    get_task: GetTask = Depends(Provide["get_task"]),
) -> Response:
    version = await expected_version_for(identity.user_id, task_id, if_match, get_task)
    await use_case.execute(identity.user_id, task_id, expected_version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
